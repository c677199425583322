State  Recv-Q Send-Q  Local Address:Port  Peer Address:Port Process                                                                                                     
UNCONN 0      0             0.0.0.0:54018      0.0.0.0:*     ino:124492 sk:1676 cgroup:unreachable:1 <->
	 skmem:(r0,rb212992,t0,tb212992,f0,w0,o0,bl0,d0)              
ESTAB  0      0           127.0.0.1:39620    127.0.0.2:41323 ino:124495 sk:1677 cgroup:unreachable:1 <->
	 skmem:(r0,rb212992,t0,tb212992,f0,w0,o0,bl0,d0)              
UNCONN 8320   0           127.0.0.2:41323      0.0.0.0:*     ino:124490 sk:1678 cgroup:unreachable:1 <->
	 skmem:(r8320,rb212992,t0,tb212992,f3968,w0,o0,bl0,d0)        
UNCONN 0      0      10.77.0.1%ppd0:45379      0.0.0.0:*     ino:124494 sk:1679 cgroup:unreachable:1 <->
	 skmem:(r0,rb212992,t0,tb212992,f0,w0,o0,bl0,d0)              
UNCONN 0      0           127.0.0.1:46766      0.0.0.0:*     ino:124496 sk:167a cgroup:unreachable:1 <->
	 skmem:(r0,rb212992,t0,tb212992,f0,w0,o0,bl0,d0)              
UNCONN 3328   0           127.0.0.1:48637      0.0.0.0:*     ino:124488 sk:167b cgroup:unreachable:1 <->
	 skmem:(r3328,rb4096,t0,tb212992,f768,w0,o0,bl0,d296)         
UNCONN 0      0                   *:37759            *:*     ino:124493 sk:167c cgroup:unreachable:1 v6only:0 <->
	 skmem:(r0,rb212992,t0,tb212992,f0,w0,o0,bl0,d0)     
UNCONN 3328   0               [::1]:39655         [::]:*     ino:124489 sk:167d cgroup:unreachable:1 v6only:1 <->
	 skmem:(r3328,rb4096,t0,tb212992,f768,w0,o0,bl0,d296)
UNCONN 0      0               [::1]:39920         [::]:*     ino:124497 sk:167e cgroup:unreachable:1 v6only:1 <->
	 skmem:(r0,rb212992,t0,tb212992,f0,w0,o0,bl0,d0)     
UNCONN 4160   0               [::1]:50480         [::]:*     ino:124491 sk:167f cgroup:unreachable:1 v6only:1 <->
	 skmem:(r4160,rb212992,t0,tb212992,f4032,w0,o0,bl0,d0)
