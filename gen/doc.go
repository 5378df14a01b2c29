// Package gen generates deterministic, realistic agent traces in tokcost's
// canonical JSONL form, with per-session ground truth, for tests,
// benchmarks and demos. It owns the simulation only: it knows nothing of
// package pricing or analyze, and prices sessions with its own small rate
// table (rates.go, $/MTok: claude-sonnet-4-5 3/15, cache read 0.30, write
// 3.75; claude-haiku-4-5 1/5, 0.10, 1.25; gpt-4o 2.50/10, cached 1.25;
// gpt-4o-mini 0.15/0.60, cached 0.075; gpt-5 1.25/10, cached 0.125) so
// that its costs are an independent check on the analyzer:
//
//	cost = (input − cache_read − cache_write)·in + cache_read·read
//	       + cache_write·write + output·out
//
// # Simulation
//
// Every session is a ReAct loop. Call i's input is the whole context: system
// prompt and task (1.7k-8k tokens) plus every earlier call's visible output
// and every tool result. Reasoning tokens (gpt-5) are billed as output but
// not carried forward. Anthropic sessions cache with a breakpoint at the end
// of each prompt: the first call writes the whole prompt, later calls read
// the previous prompt and write the new suffix (8% are misses that rewrite
// it). OpenAI calls read the previous prompt rounded down to 128 tokens when
// it is at least 1024 tokens (85% hit). Some workflows split calls between a
// planner on a flagship model (first call, every sixth, final answer) and an
// executor on the cheaper sibling (sonnet→haiku, gpt-5 and gpt-4o→gpt-4o-mini).
// 10% of steps run a parallel batch of two or three tools. When the context
// passes 80k tokens before a step, the agent compacts it (history becomes a
// summary, caches restart), so only expensive_doc calls reach 100k input.
//
// Records are canonical (OpenTelemetry token semantics: input includes cache
// reads and writes, output includes reasoning). Zero and empty fields are
// omitted, and so is status "ok". 20% of sessions carry an extra "team"
// attribute, 10% have no "seq", about 1% of records are written twice
// (same line, same id). Session starts are a Poisson process (Options.MeanGap)
// and the output is ordered by record start time across sessions; within a
// session, file order is step order even where two starts share a
// millisecond.
//
// # Class mix
//
//	healthy          57%  3-25 calls (skewed to short), ordinary tools
//	transient_retry  12%  healthy, one tool fails once or twice then succeeds
//	long_healthy      2%  40-120 calls over many tools, steady progress
//	expensive_doc     3%  one 100k-190k-token call after reading a document
//	sibling_cascade   5%  one real error in a parallel batch of 3-6 calls,
//	                      the rest "<tool_use_error>Sibling tool call errored…"
//	user_rejection    5%  a tool result rejected by the user (docs/formats/claude-code.md)
//	loop_tool        10%  runaway retry loop, ends within the timeout
//	loop_timeout      4%  runaway retry loop that passes the timeout
//	loop_llm_only     2%  near-identical consecutive LLM calls, no tools
//
// Loops are 16% so that 20,000 sessions give about 3,200 positives, enough
// for tight recall estimates; the five hard-negative classes (27%) each look
// like a loop to a naive detector (repeated errors, many calls, high cost).
// Healthy sessions never have three consecutive failures of one tool with
// one masked error, not counting sibling-cancel and rejection records,
// which the ingest layer classifies separately.
//
// # Loop shapes (Options.LoopShapes, tokcost gen --loop-shapes)
//
// With LoopShapes every tool call also carries tool_args (a JSON object
// naming its main argument; fresh values unless a class repeats them) and,
// when it succeeds, tool_result (a short text; failures have their error),
// and the mix becomes (shapes.go):
//
//	healthy 23%, transient_retry 8%, long_healthy 3%, expensive_doc 2%,
//	sibling_cascade 4%, user_rejection 4%                      as above
//	batch_reads       9%  15-60 calls of one tool, every one with other
//	                      arguments, a quarter in parallel batches
//	polling           9%  job_status with the same arguments answers
//	                      "running" 3-27 times (half with a sleep between
//	                      polls), then "succeeded"; the session goes on
//	flaky_recover     8%  2-4 episodes of a tool failing once or twice with
//	                      a transient error and then succeeding
//	loop_tool 4%, loop_timeout 2%, loop_llm_only 2%               as above
//	loop_no_progress  5%  the same call (arguments and result) 4-40 times,
//	                      each read by a model call; 40% then move on
//	loop_interleaved  5%  loop_tool's failures with 1-3 successful reads or
//	                      notes (each with its model call) between attempts
//	loop_volatile     4%  loop_tool with errors varying only in request ids,
//	                      durations, timestamps, memory addresses,
//	                      line:column, temp paths, ports or attempt counters
//	loop_fix_test     4%  4-15 cycles of edit_file (new arguments) then
//	                      run_tests failing the same way; 30% then pass
//	loop_apology      4%  after a 30k-70k-token read, 3-8 model calls with
//	                      no tool, short answers of any length (40-500
//	                      tokens), context growing by the answer and a nudge
//
// Loops are 30%. The truth gains loop_shape (same_error for loop_tool,
// loop_timeout and loop_volatile; model_only for loop_llm_only and
// loop_apology; no_progress, interleaved, fix_test_cycle for the others),
// and loop_signal tool_repeat for loop_no_progress. Loop start and wasted
// calls follow the rule below: from the call after the first attempt to
// the call after the last attempt (or the session's end); for
// loop_apology, from the run's second call to the end. For
// loop_fix_test, repeats are the failing test runs. Without LoopShapes the
// output for a seed is byte-identical to what it was before.
//
// # Loops and their ground truth
//
// A tool loop: call i issues tool T, T fails (attempt 1), call i+1 retries
// T, T fails with the same error up to its volatile parts (numbers, hex ids,
// quoted paths, timestamps), and so on for loop_repeats (4-30) failing
// attempts, each followed by an LLM call, context growing each time. Then:
//
//   - gave_up: the call after the last failing attempt is a final apology;
//   - recovered: that call retries T, which succeeds, and the session goes on;
//   - timed_out (loop_timeout only): half the sessions are killed at the
//     timeout, the in-flight attempt recorded with status "timeout" (not a
//     failing attempt for loop_repeats); the others run past the timeout
//     and give up. loop_ended is "gave_up" if such a session did not in fact
//     time out.
//
// loop_start_call is the 1-based index, among the session's LLM calls, of
// the call right after the first failing attempt (i+1 above): the first
// call that only exists because of the loop. For loop_llm_only, a run of
// loop_repeats near-identical calls (same model, output within ±4%, context
// growing by the output and a short nudge) ends the session; the run's
// first call is legitimate, so loop_start_call is its second call.
//
// loop_wasted_tokens (input+output) and loop_wasted_cost_usd sum the LLM
// calls from loop_start_call to the session's last call for gave_up and
// timed_out loops, and to loop_start_call+loop_repeats−1 (the call after the
// last failing attempt) for recovered ones. loop_error_masked writes the
// volatile parts as <n>, <hex>, <str> and <ts>.
//
// Timed out means the session's wall time (last end − first start) exceeds
// Options.Timeout or its last record has status "timeout". Other classes are
// compressed in time to stay within the timeout.
package gen
