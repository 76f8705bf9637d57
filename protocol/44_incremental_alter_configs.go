package protocol

import (
	"context"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
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
	rejects := map[resourceKey]string{}
	for _, r := range req.Resources {
		k := resourceKey{r.ResourceType, r.ResourceName}
		if msg := incrementalAlterInvalid(r); msg != "" {
			rejects[k] = msg
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
	var resp *kmsg.IncrementalAlterConfigsResponse
	if len(sreq.Resources) > 0 || len(req.Resources) == 0 {
		resp = svc.IncrementalAlterConfigs(ctx, rc, sreq)
	}
	if resp == nil {
		resp = kmsg.NewPtrIncrementalAlterConfigsResponse()
	}
	resp.Version = req.Version
	newRes := func(k resourceKey, code int16, msg string) kmsg.IncrementalAlterConfigsResponseResource {
		r := kmsg.NewIncrementalAlterConfigsResponseResource()
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
	}, func(r *kmsg.IncrementalAlterConfigsResponseResource) resourceKey {
		return resourceKey{r.ResourceType, r.ResourceName}
	}, func(k resourceKey) kmsg.IncrementalAlterConfigsResponseResource {
		return newRes(k, kerr.UnknownServerError.Code, "")
	})
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
