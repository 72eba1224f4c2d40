package main

import (
	"runtime"
	"testing"
)

func TestAddSpareProcs(t *testing.T) {
	prev := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(prev) })
	runtime.SetDefaultGOMAXPROCS()
	def := runtime.GOMAXPROCS(0)

	noEnv := func(string) string { return "" }
	for i := range 2 { // a second call sets the same number, not two more
		if got := addSpareProcs(noEnv, nil); got != def+spareProcs || runtime.GOMAXPROCS(0) != got {
			t.Fatalf("call %d: addSpareProcs = %d, GOMAXPROCS %d; want the default %d plus %d", i+1, got, runtime.GOMAXPROCS(0), def, spareProcs)
		}
	}

	runtime.GOMAXPROCS(3)
	env := func(k string) string {
		if k == "GOMAXPROCS" {
			return "3"
		}
		return ""
	}
	if got := addSpareProcs(env, nil); got != 3 || runtime.GOMAXPROCS(0) != 3 {
		t.Errorf("with GOMAXPROCS=3 in the environment: %d, GOMAXPROCS %d; want 3 left alone", got, runtime.GOMAXPROCS(0))
	}
}
