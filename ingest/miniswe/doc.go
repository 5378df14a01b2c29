// Package miniswe reads mini-swe-agent trajectories (*.traj.json, one JSON
// object with info and messages) into canonical records: one model call
// per message that carries a LiteLLM response (extra.response, with its
// usage and mini-swe-agent's own extra.cost), one tool step per bash
// action. The units are messages. docs/formats/mini-swe-agent.md
// describes the mapping.
//
// The format registers itself as "mini-swe-agent"; import the package for
// its side effect.
package miniswe
