package pricing

import "regexp"

// resourcePaths are the wrappers cloud APIs put around a model id when they
// report it as a resource: each pattern's last group is the model id
// inside, which then goes through the ordinary steps and exact lookup. A
// wrapper around an opaque id (a Bedrock application inference profile, a
// Vertex endpoint number) is not listed: its model is unknowable, so it
// stays unpriced.
var resourcePaths = []*regexp.Regexp{
	// Vertex AI: projects/P/locations/L/publishers/google/models/gemini-2.5-flash,
	// or the publisher part alone.
	regexp.MustCompile(`^projects/[^/]+/locations/[^/]+/publishers/[^/]+/models/([^/]+)$`),
	regexp.MustCompile(`^publishers/[^/]+/models/([^/]+)$`),
	// Bedrock ARNs: arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-…,
	// arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-…
	regexp.MustCompile(`^arn:aws[a-z-]*:bedrock:[a-z0-9-]*:[0-9]*:(?:inference-profile|foundation-model)/([^/]+)$`),
	// Azure OpenAI: the deployment path (/openai/deployments/NAME), whose
	// NAME is the deployment's, priced only when it is a model id.
	regexp.MustCompile(`^/?(?:openai/)?deployments/([^/]+)$`),
}

// azureMLAsset is an Azure ML registry asset id:
// azureml://registries/azure-openai/models/gpt-4o/versions/2024-08-06.
// A date version is the model's snapshot (gpt-4o-2024-08-06); any other
// version number is the asset's own and is dropped.
var (
	azureMLAsset = regexp.MustCompile(`^azureml://registries/[^/]+/models/([^/]+)/versions/([^/]+)$`)
	isoDate      = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
)

// unwrapResource returns the model id inside a resource path, or s itself.
func unwrapResource(s string) string {
	for _, re := range resourcePaths {
		if m := re.FindStringSubmatch(s); m != nil {
			return m[1]
		}
	}
	if m := azureMLAsset.FindStringSubmatch(s); m != nil {
		if isoDate.MatchString(m[2]) {
			return m[1] + "-" + m[2]
		}
		return m[1]
	}
	return s
}
