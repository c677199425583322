//go:build !linux

package socketstats

// socketIdentity is not available off Linux (there is no Conn there).
func (c *Conn) socketIdentity() (inode uint64, comm string, ok bool) { return 0, "", false }
