package tlsconf

// The tests drive the clock that decides when the files are looked at
// again, so that they need no sleeps.
var (
	NewServerWithClock = newServer
	NewClientWithClock = newClient
)

// CheckInterval is how often, at most, handshakes look at the files.
const CheckInterval = checkInterval
