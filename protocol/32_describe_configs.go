package protocol

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// DescribeConfigs: v0-4 (Kafka 2.8)
//
// Behaviour:
//   - Resource types other than TOPIC (2), BROKER (4) and BROKER_LOGGER (8) are answered
//     INVALID_REQUEST ("Unsupported resource type: N") here and not passed on.
//   - Values, sources, synonyms (v1+, when IncludeSynonyms) and documentation (v3+) are
//     Services.DescribeConfigs'. v0 has no Source field: the handler derives IsDefault from
//     Source == DEFAULT_CONFIG (5), as DescribeConfigsResponse does for old versions.
//   - Every requested resource gets an entry (UNKNOWN_SERVER_ERROR if the service left it out).
//
// Version notes:
//   - v1: IncludeSynonyms, Source, synonyms. v2: no wire change. v3: IncludeDocumentation,
//     ConfigType, Documentation. v4: flexible.
func init() {
	register(handler{Key: 32, MinVersion: 0, MaxVersion: 4, Func: handleDescribeConfigs})
}

type resourceKey struct {
	typ  kmsg.ConfigResourceType
	name string
}

func handleDescribeConfigs(ctx context.Context, svc Services, rc *RequestContext, kreq kmsg.Request) (kmsg.Response, error) {
	req := kreq.(*kmsg.DescribeConfigsRequest)
	var bad []kmsg.DescribeConfigsRequestResource
	sreq := req
	for _, r := range req.Resources {
		if !describableResource(r.ResourceType) {
			bad = append(bad, r)
		}
	}
	if bad != nil {
		cp := *req
		cp.Resources = nil
		for _, r := range req.Resources {
			if describableResource(r.ResourceType) {
				cp.Resources = append(cp.Resources, r)
			}
		}
		sreq = &cp
	}
	var resp *kmsg.DescribeConfigsResponse
	if len(sreq.Resources) > 0 || len(req.Resources) == 0 {
		resp = svc.DescribeConfigs(ctx, rc, sreq)
	}
	if resp == nil {
		resp = kmsg.NewPtrDescribeConfigsResponse()
	}
	resp.Version = req.Version
	newRes := func(k resourceKey, code int16, msg string) kmsg.DescribeConfigsResponseResource {
		r := kmsg.NewDescribeConfigsResponseResource()
		r.ResourceType, r.ResourceName, r.ErrorCode = k.typ, k.name, code
		if msg != "" {
			r.ErrorMessage = strPtr(msg)
		}
		return r
	}
	for _, r := range bad {
		resp.Resources = append(resp.Resources, newRes(resourceKey{r.ResourceType, r.ResourceName}, kerr.InvalidRequest.Code,
			fmt.Sprintf("Unsupported resource type: %d", r.ResourceType)))
	}
	fillResources(&resp.Resources, func(yield func(resourceKey) bool) {
		for _, r := range req.Resources {
			if !yield(resourceKey{r.ResourceType, r.ResourceName}) {
				return
			}
		}
	}, func(r *kmsg.DescribeConfigsResponseResource) resourceKey {
		return resourceKey{r.ResourceType, r.ResourceName}
	},
		func(k resourceKey) kmsg.DescribeConfigsResponseResource {
			return newRes(k, kerr.UnknownServerError.Code, "")
		})
	if req.Version == 0 {
		for i := range resp.Resources {
			for j := range resp.Resources[i].Configs {
				c := &resp.Resources[i].Configs[j]
				c.IsDefault = c.Source == kmsg.ConfigSourceDefaultConfig
			}
		}
	}
	return resp, nil
}

func describableResource(t kmsg.ConfigResourceType) bool {
	return t == kmsg.ConfigResourceTypeTopic || t == kmsg.ConfigResourceTypeBroker || t == kmsg.ConfigResourceTypeBrokerLogger
}

// fillResources is fillNamed for config resources, keyed by (type, name).
func fillResources[T any](items *[]T, want func(func(resourceKey) bool), key func(*T) resourceKey, newItem func(resourceKey) T) {
	have := make(map[resourceKey]struct{}, len(*items))
	for i := range *items {
		have[key(&(*items)[i])] = struct{}{}
	}
	for k := range want {
		if _, ok := have[k]; ok {
			continue
		}
		have[k] = struct{}{}
		*items = append(*items, newItem(k))
	}
}

// screenResources is the flow shared by the AlterConfigs handlers: resources that the wire
// alone shows to be invalid (reject returns a message) are answered INVALID_REQUEST here, the
// rest go to the service (which is also called for an empty request), the rejections follow
// the service's answers in request order, and any resource the service left out gets
// UNKNOWN_SERVER_ERROR.
func screenResources[In, Out any](in []In, key func(In) resourceKey, reject func(In) string,
	serve func(pass []In) []Out, outKey func(*Out) resourceKey,
	newOut func(k resourceKey, code int16, msg string) Out,
) []Out {
	rejects := map[resourceKey]string{}
	pass := in
	for _, r := range in {
		if msg := reject(r); msg != "" {
			rejects[key(r)] = msg
		}
	}
	if len(rejects) > 0 {
		pass = nil
		for _, r := range in {
			if _, bad := rejects[key(r)]; !bad {
				pass = append(pass, r)
			}
		}
	}
	var out []Out
	if len(pass) > 0 || len(in) == 0 {
		out = serve(pass)
	}
	for _, r := range in {
		k := key(r)
		if msg, bad := rejects[k]; bad {
			out = append(out, newOut(k, kerr.InvalidRequest.Code, msg))
			delete(rejects, k)
		}
	}
	fillResources(&out, func(yield func(resourceKey) bool) {
		for _, r := range in {
			if !yield(key(r)) {
				return
			}
		}
	}, outKey, func(k resourceKey) Out { return newOut(k, kerr.UnknownServerError.Code, "") })
	return out
}
