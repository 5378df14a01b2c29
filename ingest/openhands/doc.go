// Package openhands reads OpenHands trajectories (the JSON array of events
// that "save trajectory" and the evaluation harness write) into canonical
// records: one model call per distinct LiteLLM response, one tool step per
// action the model issued through function calling. An action and its
// observation both repeat the response that produced them, so calls are
// deduplicated by response id; newer files also carry llm_metrics whose
// per-call token_usages add calls no event shows (a plain message reply).
// The units are events. docs/formats/openhands.md describes the mapping.
//
// The format registers itself as "openhands"; import the package for its
// side effect.
package openhands
