// Package pricing owns model prices and model-id resolution: the embedded,
// versioned price table (generated from LiteLLM's price file, its price
// history, genai-prices' dated prices and overrides.yaml by
// internal/pricegen), user price files layered
// over it (LoadFile), model-id normalisation and aliases (Normalize,
// Table.Lookup), and the cost of one call (Rates.Cost).
//
// Lookups never match by substring or prefix: an id resolves through a
// fixed, documented list of exact candidates (see Table.Explain) or is
// unpriced. Rates are dated, so old usage is priced at the rate then in
// force. docs/pricing.md describes the rules and the price-file formats.
package pricing
