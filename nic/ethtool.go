package nic

// DriverInfo is struct ethtool_drvinfo (ETHTOOL_GDRVINFO, `ethtool -i`),
// filled by the driver's get_drvinfo and net/ethtool/ioctl.c
// ethtool_get_drvinfo.
type DriverInfo struct {
	Driver          string
	Version         string
	FirmwareVersion string
	ExpansionROM    string // erom_version, ethtool's "expansion-rom-version"
	BusInfo         string
	NumPrivFlags    uint32 // n_priv_flags
	NumStats        uint32 // n_stats: driver statistics (ETH_SS_STATS)
	TestInfoLen     uint32 // testinfo_len: self-test results
	EEPROMDumpLen   uint32 // eedump_len, bytes
	RegisterDumpLen uint32 // regdump_len, bytes
}

// SupportsStatistics, SupportsTest, SupportsEEPROMAccess,
// SupportsRegisterDump and SupportsPrivFlags are the "supports-*" lines of
// `ethtool -i`, derived as ethtool does from the lengths.
func (d *DriverInfo) SupportsStatistics() bool   { return d.NumStats > 0 }
func (d *DriverInfo) SupportsTest() bool         { return d.TestInfoLen > 0 }
func (d *DriverInfo) SupportsEEPROMAccess() bool { return d.EEPROMDumpLen > 0 }
func (d *DriverInfo) SupportsRegisterDump() bool { return d.RegisterDumpLen > 0 }
func (d *DriverInfo) SupportsPrivFlags() bool    { return d.NumPrivFlags > 0 }

// Rings is struct ethtool_ringparam (ETHTOOL_GRINGPARAM, `ethtool -g`):
// descriptor counts per ring, the maximum the hardware allows and the
// current setting. A zero maximum means the device has no such ring
// (ethtool prints "n/a").
type Rings struct {
	RxMax, RxMiniMax, RxJumboMax, TxMax uint32
	Rx, RxMini, RxJumbo, Tx             uint32
}

// Channels is struct ethtool_channels (ETHTOOL_GCHANNELS, `ethtool -l`):
// queue (channel) counts, maximum and current. A zero maximum means the
// device has no such channel type ("n/a").
type Channels struct {
	MaxRx, MaxTx, MaxOther, MaxCombined uint32
	Rx, Tx, Other, Combined             uint32
}

// Coalesce is struct ethtool_coalesce (ETHTOOL_GCOALESCE, `ethtool -c`):
// how long (microseconds) or how many frames the device waits before
// raising an interrupt. Which fields a driver honours is in its
// supported_coalesce_params; the ioctl reports the rest as 0.
type Coalesce struct {
	RxUsecs, RxMaxFrames, RxUsecsIRQ, RxMaxFramesIRQ uint32
	TxUsecs, TxMaxFrames, TxUsecsIRQ, TxMaxFramesIRQ uint32
	StatsBlockUsecs                                  uint32
	AdaptiveRx, AdaptiveTx                           bool
	PktRateLow                                       uint32
	RxUsecsLow, RxMaxFramesLow                       uint32
	TxUsecsLow, TxMaxFramesLow                       uint32
	PktRateHigh                                      uint32
	RxUsecsHigh, RxMaxFramesHigh                     uint32
	TxUsecsHigh, TxMaxFramesHigh                     uint32
	RateSampleInterval                               uint32 // seconds
}
