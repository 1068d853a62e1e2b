// Package difftest is rundb's differential test harness: it replays command
// scripts against rundb and against redis-server 7.0 (the behaviour oracle)
// and requires byte-identical RESP replies.
//
// Scripts live in engine/testdata/diff/*.txt, one command per line in
// redis-cli syntax, split by resp.SplitArgs ("..." with \n \r \t \b \a \xHH
// and \<byte> escapes, '...' literal but for \').
// '#' starts a comment line; blank lines are ignored. Directives stand on
// their own line and, except @sleep and @conn, modify the next command:
//
//	@ignore          compare only the RESP type of the next reply
//	@sorted          compare the next reply after sorting every array in it
//	@approx          integer replies may differ by at most 1 (TTL, PTTL)
//	@close-expected  after the next command both servers must close the
//	                 connection; everything they sent before EOF is compared
//	@raw BYTES       send BYTES (escapes allowed) instead of a command
//	@send            send the next command without reading its reply (a
//	                 blocking command); a later @recv reads it
//	@recv            read the oldest unread reply of the current
//	                 connection and compare it (modifiers apply to it)
//	@sleep MS        pause MS milliseconds
//	@conn N          switch to connection N (opened on first use); a script
//	                 starts on connection 1
//
// Each script runs on fresh connections after FLUSHALL and SELECT 0, so a
// script that changes configuration must restore it before it ends.
package difftest
