package httpd

import "time"

// SetHeartbeatEvery shortens the heartbeat of followed streams for a test,
// and returns what puts it back. Tests that use it must not run in
// parallel with others of the package.
func SetHeartbeatEvery(d time.Duration) (restore func()) {
	old := heartbeatEvery
	heartbeatEvery = d
	return func() { heartbeatEvery = old }
}
