// Package engine keeps the state of the calls a PBX reports and turns its
// call events (smdr.CallEvent) into IP SMDR records (smdr.Record), following
// the event rules of the product reference (ip-smdr.md §3, product.md "A call
// event").
//
// A call is known by the PBX's own key (CallEvent.Call). Its first event must
// be ringing, queued, connected, diverted or transferred, and must say the
// direction (in, out or internal) and, for a trunk call, the trunk; both are
// fixed from then on. The first event also fixes the call's 22-digit Call ID:
// the one the event forces with call_id, or a new one from CallIDs made from
// the call's start in the configured location. Events for a call nobody
// started, or for one that has ended, are refused (smdr.EConflict) rather
// than guessed at: a late event must not start a second call under the same
// key, so the keys of ended calls are remembered for a while.
//
// Each event writes one record, and every record repeats the call's current
// direction, Call ID, trunk, number, name, DDI, DDI name and account code,
// so that any record can be read alone. Values an event gives update the
// call; values it leaves empty keep what the call had. The record's event
// word follows from the event and the call's history:
//
//   - ringing is RINGING (a new call, a transfer ringing, a recall);
//   - connected is ANSWERED the first time the call connects and CONNECTED
//     every later time (retrieved from hold, answered after a transfer);
//   - hold is HOLD and queued is QUEUED (the extension is the hunt group);
//   - diverted and transferred are DIVERTED and TRANSFERRED, and need the
//     new extension; the source extension is the one the event gives, else
//     the extension the call was at, and it is the only record type that
//     carries one;
//   - modified is CALLMODIFIED, whether or not anything changed;
//   - disconnected is DISCONNECTED and ends the call.
//
// Any other event that changes the number, the name or the account code is
// followed by a CALLMODIFIED record with the same values, because that is how
// a reader of the feed learns of the change. DISCONNECTED is the exception:
// it simply carries the new values (the manual's third call does exactly
// this). Changes to the DDI or DDI name are carried without CALLMODIFIED, and
// the values of a call's first event are not changes.
//
// Internal calls (extension to extension) are tracked like the others, so
// their events are checked and their keys remembered, but they produce no
// records: only trunk calls are reported.
//
// Apply takes a batch of events and is all or nothing, so that an ingest
// request either writes all its records or none. Expire closes calls that
// have been silent for the call timeout, since a PBX that loses an event
// would otherwise leave calls open for ever.
//
// The calls in progress survive a restart through a snapshot: Snapshot
// saves them, Restore puts them into a new engine, and Replay applies the
// journal's records written after the snapshot, so that the next events of
// a call in progress give the records they would have given without the
// restart. A call that started after the snapshot cannot be continued.
package engine
