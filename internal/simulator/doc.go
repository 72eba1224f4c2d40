// Package simulator is a virtual office that makes realistic PBX traffic: it
// emits smdr.CallEvent batches, as a MiVoice PBX would report its calls, to a
// Sink (the server's ingest, in process or over HTTP).
//
// # The simulation
//
// Run is a discrete-event simulation on a simulated clock. A priority queue
// holds the pending actions: call arrivals and call events. Calls arrive as a
// Poisson process at Config.Rate calls per hour, the first one at
// Config.Start. When a call arrives its scenario is chosen and its whole life
// is planned at once (ringing, answer, holds, transfers, clearing), with
// durations drawn at random; each extension and trunk it takes is booked, so
// later calls do not ring an extension that is busy (they pick another, queue
// or divert). Then its events wait in the queue until they are due.
//
// Events due at the same simulated second go out in one Send. With a Speed,
// Run paces itself so that simulated elapsed time is real elapsed time times
// Speed; with no Speed it runs as fast as the sink takes the events. All
// randomness comes from one PCG source seeded by Config.Seed, so the same
// seed and configuration give the same events at the same times. Every event
// time is a whole second (UTC), so that the figures below are exact when
// computed from SMDR records, whose times have whole seconds.
//
// Call keys are "sim-SEED-N", N counting calls from 1 in order of arrival.
// The first event of a call carries its direction, trunk, number and DDI;
// later events carry only what changes. Every event carries the extension
// it is about, disconnected included.
//
// # Scenarios
//
// Inbound calls come in on a DDI and ring what the DDI targets: an extension
// or a hunt group. The caller's name, when the caller is a contact, is given
// when the call is first answered: on the connected event, or on a modified
// event at the same second. Outbound calls carry the dialled number and no
// DDI or name. The scenarios, in percent of calls:
//
//	inbound_answered       24  ringing, connected, disconnected
//	inbound_missed          8  ringing 15-40 s, disconnected
//	hunt_group             14  queued, ringing at a free member, connected; 1 in 5 callers hang up in the queue
//	inbound_hold            9  answered, hold, connected (once or twice)
//	blind_transfer          6  answered, transferred (source = the answerer), ringing, connected
//	consult_transfer        6  answered, hold, transferred, ringing and connected at one second
//	forwarded               7  diverted (source = the dialled extension) at once when it is busy or forwards
//	                           all calls, or after 12-20 s of ringing; then connected
//	outbound_answered      14  ringing, connected, disconnected
//	outbound_unanswered     5  ringing 15-40 s, disconnected
//	outbound_account_code   4  ringing, connected, modified with an account code, disconnected
//	internal                3  direction "internal", no trunk: the server must not report it
//
// Rings last 3-25 s, talk is lognormal with a median of 2.5 minutes (at most
// 30), holds 10-90 s, queues 5-120 s (longer while every member is busy, up
// to 4 minutes).
//
// # Truth
//
// When a call ends, Run writes its Truth as one JSON line to Config.Truth.
// The figures are defined from the call's events (and equally from the SMDR
// records the server writes for them), in order, with their times:
//
//   - start: the time of the first event; end: the time of disconnected.
//   - answered_at, answered_by: the time and extension of the first connected
//     event (the ANSWERED record); null and "" if there is none.
//   - queue_seconds: the sum, over queued events, of the time from the queued
//     event to the call's next event other than modified.
//   - hold_seconds: the sum, over holds, of the time from a hold event to the
//     next connected or disconnected event (a consulted transfer's hold lasts
//     until the destination connects; a second hold event while held changes
//     nothing).
//   - ring_seconds: from start to answered_at (to end if never answered),
//     minus the queue time before that point.
//   - talk_seconds: from answered_at to end, minus hold_seconds; 0 if never
//     answered. It includes ringing at a transfer destination after the
//     first answer. So for an answered call ring + queue + talk + hold =
//     end - start, and for any other call ring + queue = end - start.
//   - outcome: "answered" if answered; else "unanswered" for direction out,
//     "abandoned" if the last event before disconnected (modified aside) was
//     queued, else "missed".
//   - number, name, ddi, ddi_name, account_code: the last non-empty value the
//     call's events gave; direction and trunk: those of the first event.
//   - final_extension: the extension of the last event (the DISCONNECTED
//     record's extension).
//   - extensions: for each event in order, its source extension then its
//     extension, each added the first time it appears; hunt group numbers
//     (on queued events) count.
//   - transfers, diversions: the numbers of transferred and diverted events.
//   - events: the event kinds sent, in order (connected, not ANSWERED).
package simulator
