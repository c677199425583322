package nic

import (
	"encoding/binary"
	"fmt"
)

// ethtool ioctl numbers and layouts (include/uapi/linux/ethtool.h).
const (
	ethtoolGCoalesce  = 0x0e
	ethtoolGDrvInfo   = 0x03
	ethtoolGRingParam = 0x10
	ethtoolGStrings   = 0x1b
	ethtoolGStats     = 0x1d
	ethtoolGSSetInfo  = 0x37
	ethtoolGChannels  = 0x3c

	ethSSStats = 1 // ETH_SS_STATS

	ethGStringLen = 32 // ETH_GSTRING_LEN

	// sizeof(struct ethtool_drvinfo): cmd, 5 strings of 32 bytes,
	// reserved2[12], 5 u32 lengths.
	drvinfoLen     = 4 + 5*32 + 12 + 5*4
	ringparamLen   = 9 * 4
	channelsLen    = 9 * 4
	coalesceLen    = 23 * 4
	gstringsHdrLen = 12 // cmd, string_set, len
	gstatsHdrLen   = 8  // cmd, n_stats
	ssetInfoLen    = 16 + 4
)

func shortReply(what string, n, want int) error {
	return fmt.Errorf("%w: %s reply of %d bytes, want %d", ErrMalformed, what, n, want)
}

// DecodeDriverInfo decodes struct ethtool_drvinfo.
func DecodeDriverInfo(b []byte) (DriverInfo, error) {
	if len(b) < drvinfoLen {
		return DriverInfo{}, shortReply("ETHTOOL_GDRVINFO", len(b), drvinfoLen)
	}
	str := func(off int) string { return string(cstring(b[off : off+32])) }
	u := func(off int) uint32 { return binary.NativeEndian.Uint32(b[off:]) }
	return DriverInfo{
		Driver:          str(4),
		Version:         str(36),
		FirmwareVersion: str(68),
		BusInfo:         str(100),
		ExpansionROM:    str(132),
		NumPrivFlags:    u(176),
		NumStats:        u(180),
		TestInfoLen:     u(184),
		EEPROMDumpLen:   u(188),
		RegisterDumpLen: u(192),
	}, nil
}

func decodeU32s(b []byte, what string, want int, dst []*uint32) error {
	if len(b) < want {
		return shortReply(what, len(b), want)
	}
	for i, p := range dst {
		*p = binary.NativeEndian.Uint32(b[4+4*i:])
	}
	return nil
}

// DecodeRings decodes struct ethtool_ringparam.
func DecodeRings(b []byte) (Rings, error) {
	var r Rings
	err := decodeU32s(b, "ETHTOOL_GRINGPARAM", ringparamLen, []*uint32{
		&r.RxMax, &r.RxMiniMax, &r.RxJumboMax, &r.TxMax, &r.Rx, &r.RxMini, &r.RxJumbo, &r.Tx})
	return r, err
}

// DecodeChannels decodes struct ethtool_channels.
func DecodeChannels(b []byte) (Channels, error) {
	var c Channels
	err := decodeU32s(b, "ETHTOOL_GCHANNELS", channelsLen, []*uint32{
		&c.MaxRx, &c.MaxTx, &c.MaxOther, &c.MaxCombined, &c.Rx, &c.Tx, &c.Other, &c.Combined})
	return c, err
}

// DecodeCoalesce decodes struct ethtool_coalesce.
func DecodeCoalesce(b []byte) (Coalesce, error) {
	var c Coalesce
	var adRx, adTx uint32
	err := decodeU32s(b, "ETHTOOL_GCOALESCE", coalesceLen, []*uint32{
		&c.RxUsecs, &c.RxMaxFrames, &c.RxUsecsIRQ, &c.RxMaxFramesIRQ,
		&c.TxUsecs, &c.TxMaxFrames, &c.TxUsecsIRQ, &c.TxMaxFramesIRQ,
		&c.StatsBlockUsecs, &adRx, &adTx, &c.PktRateLow,
		&c.RxUsecsLow, &c.RxMaxFramesLow, &c.TxUsecsLow, &c.TxMaxFramesLow,
		&c.PktRateHigh, &c.RxUsecsHigh, &c.RxMaxFramesHigh, &c.TxUsecsHigh, &c.TxMaxFramesHigh,
		&c.RateSampleInterval})
	c.AdaptiveRx, c.AdaptiveTx = adRx != 0, adTx != 0
	return c, err
}

// DecodeSSetInfo decodes a struct ethtool_sset_info reply to a request for
// the ETH_SS_STATS set alone: the number of driver statistics, and ok false
// when the driver has none (its bit is clear in sset_mask).
func DecodeSSetInfo(b []byte) (n uint32, ok bool, err error) {
	if len(b) < 16 {
		return 0, false, shortReply("ETHTOOL_GSSET_INFO", len(b), 16)
	}
	mask := binary.NativeEndian.Uint64(b[8:16])
	if mask&(1<<ethSSStats) == 0 {
		return 0, false, nil
	}
	if len(b) < ssetInfoLen {
		return 0, false, shortReply("ETHTOOL_GSSET_INFO", len(b), ssetInfoLen)
	}
	return binary.NativeEndian.Uint32(b[16:20]), true, nil
}

// DecodeStrings decodes a struct ethtool_gstrings reply: len names of
// ETH_GSTRING_LEN bytes, NUL padded (a name filling all 32 bytes has no
// NUL). Names are appended to dst in order, duplicates kept.
func DecodeStrings(b []byte, dst []string) ([]string, error) {
	if len(b) < gstringsHdrLen {
		return dst, shortReply("ETHTOOL_GSTRINGS", len(b), gstringsHdrLen)
	}
	n := int(binary.NativeEndian.Uint32(b[8:12]))
	data := b[gstringsHdrLen:]
	if n < 0 || n > len(data)/ethGStringLen {
		return dst, fmt.Errorf("%w: ETHTOOL_GSTRINGS says %d strings, %d bytes hold %d", ErrMalformed, n, len(data), len(data)/ethGStringLen)
	}
	for i := range n {
		dst = append(dst, string(cstring(data[i*ethGStringLen:(i+1)*ethGStringLen])))
	}
	return dst, nil
}

// DecodeStats decodes a struct ethtool_stats reply into dst[:0] (reusing
// its capacity): n_stats u64 values.
func DecodeStats(b []byte, dst []uint64) ([]uint64, error) {
	dst = dst[:0]
	if len(b) < gstatsHdrLen {
		return dst, shortReply("ETHTOOL_GSTATS", len(b), gstatsHdrLen)
	}
	n := int(binary.NativeEndian.Uint32(b[4:8]))
	data := b[gstatsHdrLen:]
	if n < 0 || n > len(data)/8 {
		return dst, fmt.Errorf("%w: ETHTOOL_GSTATS says %d values, %d bytes hold %d", ErrMalformed, n, len(data), len(data)/8)
	}
	for i := range n {
		dst = append(dst, binary.NativeEndian.Uint64(data[i*8:]))
	}
	return dst, nil
}
