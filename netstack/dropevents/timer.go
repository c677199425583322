package dropevents

import "time"

func newTimer() *time.Timer { return time.NewTimer(50 * time.Millisecond) }
