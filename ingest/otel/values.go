package otel

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// normID turns a trace or span id into lower-case hex. OTLP/JSON writes ids
// as hex, but some exporters (older Tempo, protojson defaults) use base64.
func normID(id string) string {
	id = strings.TrimSpace(id)
	if id == "" {
		return ""
	}
	if _, err := hex.DecodeString(id); err == nil {
		return strings.ToLower(id)
	}
	if b, err := base64.StdEncoding.DecodeString(id); err == nil && (len(b) == 8 || len(b) == 16) {
		return hex.EncodeToString(b)
	}
	return id
}
