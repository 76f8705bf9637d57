package protocol

import (
	"context"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
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
	rejects := map[resourceKey]string{}
	for _, r := range req.Resources {
		k := resourceKey{r.ResourceType, r.ResourceName}
		if r.ResourceType != kmsg.ConfigResourceTypeTopic && r.ResourceType != kmsg.ConfigResourceTypeBroker {
			rejects[k] = fmt.Sprintf("AlterConfigs is only supported for topics and brokers, but resource type is %d", r.ResourceType)
			continue
		}
		var nulls []string
		for _, c := range r.Configs {
			if c.Value == nil {
				nulls = append(nulls, c.Name)
			}
		}
		if nulls != nil {
			rejects[k] = "Null value not supported for : " + strings.Join(nulls, ", ")
		}
	}
	sreq := req
	if len(rejects) > 0 {
		cp := *req
		cp.Resources = nil
		for _, r := range req.Resources {
			if _, bad := rejects[resourceKey{r.ResourceType, r.ResourceName}]; !bad {
				cp.Resources = append(cp.Resources, r)
			}
		}
		sreq = &cp
	}
	var resp *kmsg.AlterConfigsResponse
	if len(sreq.Resources) > 0 || len(req.Resources) == 0 {
		resp = svc.AlterConfigs(ctx, rc, sreq)
	}
	if resp == nil {
		resp = kmsg.NewPtrAlterConfigsResponse()
	}
	resp.Version = req.Version
	newRes := func(k resourceKey, code int16, msg string) kmsg.AlterConfigsResponseResource {
		r := kmsg.NewAlterConfigsResponseResource()
		r.ResourceType, r.ResourceName, r.ErrorCode = k.typ, k.name, code
		if msg != "" {
			r.ErrorMessage = strPtr(msg)
		}
		return r
	}
	for _, r := range req.Resources {
		k := resourceKey{r.ResourceType, r.ResourceName}
		if msg, bad := rejects[k]; bad {
			resp.Resources = append(resp.Resources, newRes(k, kerr.InvalidRequest.Code, msg))
			delete(rejects, k)
		}
	}
	fillResources(&resp.Resources, func(yield func(resourceKey) bool) {
		for _, r := range req.Resources {
			if !yield(resourceKey{r.ResourceType, r.ResourceName}) {
				return
			}
		}
	}, func(r *kmsg.AlterConfigsResponseResource) resourceKey {
		return resourceKey{r.ResourceType, r.ResourceName}
	},
		func(k resourceKey) kmsg.AlterConfigsResponseResource {
			return newRes(k, kerr.UnknownServerError.Code, "")
		})
	return resp, nil
}
