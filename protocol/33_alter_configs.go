package protocol

import (
	"context"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// AlterConfigs: v0-2 (Kafka 2.8)
//
// Behaviour:
//   - Answered INVALID_REQUEST here, per resource, without the service: resource types other
//     than TOPIC and BROKER, and null values ("Null value not supported for : a, b", as
//     ZkAdminManager says).
//   - The legacy API replaces a resource's whole dynamic config; validation of names and values,
//     ValidateOnly and the ZooKeeper write are Services.AlterConfigs'.
//   - Every requested resource gets an entry (UNKNOWN_SERVER_ERROR if the service left it out).
//
// Version notes:
//   - v1: no wire change. v2: flexible.
func init() {
	register(handler{Key: 33, MinVersion: 0, MaxVersion: 2, Func: handleAlterConfigs})
}

func handleAlterConfigs(ctx context.Context, svc Services, rc *RequestContext, kreq kmsg.Request) (kmsg.Response, error) {
	req := kreq.(*kmsg.AlterConfigsRequest)
	var resp *kmsg.AlterConfigsResponse
	resources := screenResources(req.Resources,
		func(r kmsg.AlterConfigsRequestResource) resourceKey {
			return resourceKey{r.ResourceType, r.ResourceName}
		},
		alterConfigsInvalid,
		func(pass []kmsg.AlterConfigsRequestResource) []kmsg.AlterConfigsResponseResource {
			sreq := *req
			sreq.Resources = pass
			if resp = svc.AlterConfigs(ctx, rc, &sreq); resp == nil {
				return nil
			}
			return resp.Resources
		},
		func(r *kmsg.AlterConfigsResponseResource) resourceKey {
			return resourceKey{r.ResourceType, r.ResourceName}
		},
		func(k resourceKey, code int16, msg string) kmsg.AlterConfigsResponseResource {
			r := kmsg.NewAlterConfigsResponseResource()
			r.ResourceType, r.ResourceName, r.ErrorCode = k.typ, k.name, code
			if msg != "" {
				r.ErrorMessage = strPtr(msg)
			}
			return r
		})
	if resp == nil {
		resp = kmsg.NewPtrAlterConfigsResponse()
	}
	resp.Version = req.Version
	resp.Resources = resources
	return resp, nil
}

// alterConfigsInvalid is what the wire alone rules out: resource types other than topics and
// brokers, and null values.
func alterConfigsInvalid(r kmsg.AlterConfigsRequestResource) string {
	if r.ResourceType != kmsg.ConfigResourceTypeTopic && r.ResourceType != kmsg.ConfigResourceTypeBroker {
		return fmt.Sprintf("AlterConfigs is only supported for topics and brokers, but resource type is %d", r.ResourceType)
	}
	var nulls []string
	for _, c := range r.Configs {
		if c.Value == nil {
			nulls = append(nulls, c.Name)
		}
	}
	if nulls != nil {
		return "Null value not supported for : " + strings.Join(nulls, ", ")
	}
	return ""
}
