package aws

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/ferryhq/ferry/internal/provider"
)

// eventBridgeEvent is the part of an EventBridge event the feed reads: the envelope and the
// fields of the two kinds of detail it understands. Secrets Manager changes arrive as
// CloudTrail records ("AWS API Call via CloudTrail": PutSecretValue, UpdateSecret,
// RotateSecret, DeleteSecret, RestoreSecret, UpdateSecretVersionStage, CreateSecret;
// "AWS Service Event via CloudTrail": RotationSucceeded). Parameter Store changes arrive as
// "Parameter Store Change" events, or as CloudTrail records of PutParameter,
// DeleteParameter(s) and LabelParameterVersion.
type eventBridgeEvent struct {
	DetailType string    `json:"detail-type"`
	Source     string    `json:"source"`
	Time       time.Time `json:"time"`
	Resources  []string  `json:"resources"`
	Detail     struct {
		// Parameter Store Change.
		Name      string `json:"name"`
		Operation string `json:"operation"`
		// CloudTrail.
		EventName         string                     `json:"eventName"`
		RequestParameters map[string]json.RawMessage `json:"requestParameters"`
		ResponseElements  map[string]json.RawMessage `json:"responseElements"`
		AdditionalData    map[string]json.RawMessage `json:"additionalEventData"`
		ErrorCode         string                     `json:"errorCode"`
	} `json:"detail"`
}

// parseEvent returns the keys a Secrets Manager or Parameter Store event names: as given
// (a name or an ARN) and, for an ARN, the name within it, so that it meets the key as an
// ExternalSecret writes it either way.
func parseEvent(body string) provider.Change {
	var ev eventBridgeEvent
	if err := json.Unmarshal([]byte(body), &ev); err != nil || ev.Source == "" {
		return provider.Change{Malformed: true}
	}
	if ev.Detail.ErrorCode != "" {
		// A call that failed changed nothing.
		return provider.Change{At: ev.Time}
	}
	var ids []string
	switch {
	case ev.DetailType == "Parameter Store Change":
		ids = append(ids, ev.Detail.Name)
	case ev.Source == "aws.secretsmanager":
		ids = append(ids, stringFields(ev.Detail.RequestParameters, "secretId", "name")...)
		ids = append(ids, stringFields(ev.Detail.ResponseElements, "arn", "aRN", "name")...)
		ids = append(ids, stringFields(ev.Detail.AdditionalData, "SecretId")...)
	case ev.Source == "aws.ssm":
		ids = append(ids, stringFields(ev.Detail.RequestParameters, "name")...)
		ids = append(ids, stringLists(ev.Detail.RequestParameters, "names")...)
	}
	return provider.Change{Keys: candidateKeys(ids), At: ev.Time}
}

func stringFields(m map[string]json.RawMessage, names ...string) []string {
	var out []string
	for _, n := range names {
		var s string
		if raw, ok := m[n]; ok && json.Unmarshal(raw, &s) == nil && s != "" {
			out = append(out, s)
		}
	}
	return out
}

func stringLists(m map[string]json.RawMessage, names ...string) []string {
	var out []string
	for _, n := range names {
		var l []string
		if raw, ok := m[n]; ok && json.Unmarshal(raw, &l) == nil {
			out = append(out, l...)
		}
	}
	return out
}

// candidateKeys returns each id once, with the name within a Secrets Manager ARN, and the
// name within a Parameter Store ARN both with and without a leading slash (the ARN of
// "/app/db" ends in "parameter/app/db").
func candidateKeys(ids []string) []string {
	seen := map[string]bool{}
	var keys []string
	add := func(k string) {
		if k != "" && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	for _, id := range ids {
		add(id)
		if name, ok := secretNameFromARN(id); ok {
			add(name)
		}
		if _, name, ok := strings.Cut(id, ":parameter/"); ok && strings.HasPrefix(id, "arn:") {
			add(name)
			add("/" + name)
		}
	}
	return keys
}
