package protocol

import (
	"context"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// IncrementalAlterConfigs: v0-1 (Kafka 2.8)
//
// Behaviour:
//   - Answered INVALID_REQUEST here, per resource, without the service: resource types other
//     than TOPIC, BROKER and BROKER_LOGGER; an op outside SET/DELETE/APPEND/SUBTRACT; the same
//     key twice ("Error due to duplicate config keys"); a null value for anything but DELETE
//     ("Null value not supported for : a, b").
//   - Applying the ops (APPEND/SUBTRACT only for list-typed keys), validation, ValidateOnly
//     and the ZooKeeper write are Services.IncrementalAlterConfigs'.
//   - Every requested resource gets an entry (UNKNOWN_SERVER_ERROR if the service left it out).
//
// Version notes:
//   - v1: flexible.
func init() {
	register(handler{Key: 44, MinVersion: 0, MaxVersion: 1, Func: handleIncrementalAlterConfigs})
}

func handleIncrementalAlterConfigs(ctx context.Context, svc Services, rc *RequestContext, kreq kmsg.Request) (kmsg.Response, error) {
	req := kreq.(*kmsg.IncrementalAlterConfigsRequest)
	var resp *kmsg.IncrementalAlterConfigsResponse
	resources := screenResources(req.Resources,
		func(r kmsg.IncrementalAlterConfigsRequestResource) resourceKey {
			return resourceKey{r.ResourceType, r.ResourceName}
		},
		incrementalAlterInvalid,
		func(pass []kmsg.IncrementalAlterConfigsRequestResource) []kmsg.IncrementalAlterConfigsResponseResource {
			sreq := *req
			sreq.Resources = pass
			if resp = svc.IncrementalAlterConfigs(ctx, rc, &sreq); resp == nil {
				return nil
			}
			return resp.Resources
		},
		func(r *kmsg.IncrementalAlterConfigsResponseResource) resourceKey {
			return resourceKey{r.ResourceType, r.ResourceName}
		},
		func(k resourceKey, code int16, msg string) kmsg.IncrementalAlterConfigsResponseResource {
			r := kmsg.NewIncrementalAlterConfigsResponseResource()
			r.ResourceType, r.ResourceName, r.ErrorCode = k.typ, k.name, code
			if msg != "" {
				r.ErrorMessage = strPtr(msg)
			}
			return r
		})
	if resp == nil {
		resp = kmsg.NewPtrIncrementalAlterConfigsResponse()
	}
	resp.Version = req.Version
	resp.Resources = resources
	return resp, nil
}

func incrementalAlterInvalid(r kmsg.IncrementalAlterConfigsRequestResource) string {
	switch r.ResourceType {
	case kmsg.ConfigResourceTypeTopic, kmsg.ConfigResourceTypeBroker, kmsg.ConfigResourceTypeBrokerLogger:
	default:
		return fmt.Sprintf("Unsupported resource type: %d", r.ResourceType)
	}
	seen := make(map[string]bool, len(r.Configs))
	var nulls []string
	for _, c := range r.Configs {
		if c.Op < 0 || c.Op > kmsg.IncrementalAlterConfigOpSubtract {
			return fmt.Sprintf("Unknown alter config operation %d for %s", c.Op, c.Name)
		}
		if seen[c.Name] {
			return "Error due to duplicate config keys"
		}
		seen[c.Name] = true
		if c.Value == nil && c.Op != kmsg.IncrementalAlterConfigOpDelete {
			nulls = append(nulls, c.Name)
		}
	}
	if nulls != nil {
		return "Null value not supported for : " + strings.Join(nulls, ", ")
	}
	return ""
}
