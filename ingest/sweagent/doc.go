// Package sweagent reads SWE-agent trajectories (*.traj, one JSON object
// with environment, trajectory, history and info) into canonical records.
// SWE-agent records no usage per model call, only the instance's totals in
// info.model_stats (tokens_sent, tokens_received, api_calls,
// instance_cost): the reader emits one totals-only record per file
// (ingest.Record.Calls), which the analysis counts as that many calls
// without inventing them. The unit is the document.
// docs/formats/swe-agent.md describes the mapping.
//
// The format registers itself as "swe-agent"; import the package for its
// side effect.
package sweagent
