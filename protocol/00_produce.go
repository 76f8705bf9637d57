package protocol

import (
	"context"
	"encoding/binary"
	"fmt"
	"iter"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Produce: v0-9 (Kafka 2.8)
//
// Behaviour:
//   - Checks what the bytes alone can tell before the broker sees them (KafkaApis'
//     handleProduceRequest and ProduceRequest.validateRecords): acks must be -1, 0 or 1
//     (INVALID_REQUIRED_ACKS for every partition); an empty topic name is
//     UNKNOWN_TOPIC_OR_PARTITION; the records must be whole entries of offset+length framing
//     (CORRUPT_MESSAGE otherwise); from v3 they must be exactly one magic-2 batch
//     (INVALID_RECORD) and, before v7, not zstd (UNSUPPORTED_COMPRESSION_TYPE). Partitions that
//     fail are answered here and left out of the request handed to Services.Produce.
//   - Transactional ids, producer state, leadership and sizes are the broker's business.
//   - Record bytes alias the connection's read buffer (BorrowsBytes): Services.Produce must
//     finish with them before it returns.
//   - acks=0: no response is written. If the service nevertheless returns a response and any
//     partition in it failed, or the handler rejected a partition, the connection is closed so the
//     client refreshes its metadata, as KafkaApis does.
//
// Version notes:
//   - v1: ThrottleMillis. v2: LogAppendTime. v3: TransactionalID, record batch v2 only.
//   - v5: LogStartOffset. v7: zstd allowed. v8: ErrorRecords, ErrorMessage. v9: flexible.
func init() {
	register(handler{Key: 0, MinVersion: 0, MaxVersion: 9, Func: handleProduce, BorrowsBytes: true})
}

func handleProduce(ctx context.Context, svc Services, rc *RequestContext, kreq kmsg.Request) (kmsg.Response, error) {
	req := kreq.(*kmsg.ProduceRequest)

	type rejected struct {
		topic string
		part  int32
		code  int16
		msg   string
	}
	var rejects []rejected
	for i := range req.Topics {
		t := &req.Topics[i]
		for j := range t.Partitions {
			p := &t.Partitions[j]
			code, msg := int16(0), ""
			switch {
			case req.Acks != -1 && req.Acks != 0 && req.Acks != 1:
				code = kerr.InvalidRequiredAcks.Code
			case t.Topic == "":
				code = kerr.UnknownTopicOrPartition.Code
			default:
				code, msg = validateProduceRecords(req.Version, p.Records)
			}
			if code != 0 {
				rejects = append(rejects, rejected{t.Topic, p.Partition, code, msg})
			}
		}
	}

	sreq := req
	if rejects != nil {
		sreq = produceWithout(req, func(topic string, part int32) bool {
			for _, r := range rejects {
				if r.topic == topic && r.part == part {
					return true
				}
			}
			return false
		})
	}

	var resp *kmsg.ProduceResponse
	if len(sreq.Topics) > 0 {
		resp = svc.Produce(ctx, rc, sreq)
	}
	if req.Acks == 0 {
		if rejects != nil || produceHasErrors(resp) {
			return nil, fmt.Errorf("protocol: acks=0 produce from %s failed on some partitions", rc.ClientID)
		}
		return nil, nil
	}
	if resp == nil {
		resp = kmsg.NewPtrProduceResponse()
	}
	resp.Version = req.Version

	for _, r := range rejects {
		p := kmsg.NewProduceResponseTopicPartition()
		p.Partition = r.part
		p.ErrorCode = r.code
		p.BaseOffset = -1
		if r.msg != "" {
			p.ErrorMessage = strPtr(r.msg)
		}
		appendProducePartition(resp, r.topic, p)
	}
	if rejects != nil || !produceAnswered(req, resp) {
		fillProduce(req, resp)
	}
	return resp, nil
}

// produceAnswered is the allocation-free check for the usual case: the service answered every
// partition in request order.
func produceAnswered(req *kmsg.ProduceRequest, resp *kmsg.ProduceResponse) bool {
	if len(resp.Topics) != len(req.Topics) {
		return false
	}
	for i := range req.Topics {
		qt, rt := &req.Topics[i], &resp.Topics[i]
		if qt.Topic != rt.Topic || len(qt.Partitions) != len(rt.Partitions) {
			return false
		}
		for j := range qt.Partitions {
			if qt.Partitions[j].Partition != rt.Partitions[j].Partition {
				return false
			}
		}
	}
	return true
}

func fillProduce(req *kmsg.ProduceRequest, resp *kmsg.ProduceResponse) {
	fillTP(&resp.Topics, produceWants(req), tpAccess[kmsg.ProduceResponseTopic, kmsg.ProduceResponseTopicPartition]{
		topic: func(t *kmsg.ProduceResponseTopic) string { return t.Topic },
		parts: func(t *kmsg.ProduceResponseTopic) *[]kmsg.ProduceResponseTopicPartition { return &t.Partitions },
		part:  func(p *kmsg.ProduceResponseTopicPartition) int32 { return p.Partition },
		newTopic: func(name string) kmsg.ProduceResponseTopic {
			t := kmsg.NewProduceResponseTopic()
			t.Topic = name
			return t
		},
		newPart: func(part int32) kmsg.ProduceResponseTopicPartition {
			p := kmsg.NewProduceResponseTopicPartition()
			p.Partition, p.ErrorCode, p.BaseOffset = part, kerr.UnknownServerError.Code, -1
			return p
		},
	})
}

// validateProduceRecords checks framing only: every entry is baseOffset(8) + length(4) +
// length bytes, which holds for both legacy message sets and v2 record batches.
func validateProduceRecords(version int16, recs []byte) (int16, string) {
	const (
		minEntry = 14 // the smallest legacy message (v0 overhead)
		minBatch = 49 // a v2 batch header after its length field
	)
	n := 0
	for pos := 0; pos < len(recs); n++ {
		if len(recs)-pos < 12 {
			return kerr.CorruptMessage.Code, "Record set ends with a partial entry header"
		}
		size := int32(binary.BigEndian.Uint32(recs[pos+8:]))
		if size < minEntry {
			return kerr.CorruptMessage.Code, fmt.Sprintf("Record size %d is less than the minimum record overhead (%d)", size, minEntry)
		}
		if len(recs)-pos > 16 && recs[pos+16] == 2 && size < minBatch {
			return kerr.CorruptMessage.Code, fmt.Sprintf("Record batch size %d is less than the minimum batch size %d", size, minBatch)
		}
		if int64(size) > int64(len(recs)-pos-12) {
			return kerr.CorruptMessage.Code, fmt.Sprintf("Record set ends with a partial entry of size %d", size)
		}
		pos += 12 + int(size)
	}
	if version < 3 {
		return 0, ""
	}
	switch {
	case n == 0:
		return kerr.InvalidRecord.Code, fmt.Sprintf("Produce requests with version %d must have at least one record batch", version)
	case n > 1:
		return kerr.InvalidRecord.Code, fmt.Sprintf("Produce requests with version %d are only allowed to contain exactly one record batch", version)
	case recs[16] != 2:
		return kerr.InvalidRecord.Code, fmt.Sprintf("Produce requests with version %d are only allowed to contain record batches with magic version 2", version)
	case version < 7 && binary.BigEndian.Uint16(recs[21:])&0x7 == 4:
		return kerr.UnsupportedCompressionType.Code, fmt.Sprintf("Produce requests with version %d are not allowed to use ZStandard compression", version)
	}
	return 0, ""
}

// produceWithout copies the request minus the partitions drop selects. Only taken when some
// partition was rejected, so the common path does not allocate.
func produceWithout(req *kmsg.ProduceRequest, drop func(string, int32) bool) *kmsg.ProduceRequest {
	out := *req
	out.Topics = nil
	for _, t := range req.Topics {
		nt := t
		nt.Partitions = nil
		for _, p := range t.Partitions {
			if !drop(t.Topic, p.Partition) {
				nt.Partitions = append(nt.Partitions, p)
			}
		}
		if len(nt.Partitions) > 0 {
			out.Topics = append(out.Topics, nt)
		}
	}
	return &out
}

func produceHasErrors(resp *kmsg.ProduceResponse) bool {
	if resp == nil {
		return false
	}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if p.ErrorCode != 0 {
				return true
			}
		}
	}
	return false
}

func appendProducePartition(resp *kmsg.ProduceResponse, topic string, p kmsg.ProduceResponseTopicPartition) {
	for i := range resp.Topics {
		if resp.Topics[i].Topic == topic {
			resp.Topics[i].Partitions = append(resp.Topics[i].Partitions, p)
			return
		}
	}
	t := kmsg.NewProduceResponseTopic()
	t.Topic = topic
	t.Partitions = append(t.Partitions, p)
	resp.Topics = append(resp.Topics, t)
}

func produceWants(req *kmsg.ProduceRequest) iter.Seq2[string, int32] {
	return func(yield func(string, int32) bool) {
		for _, t := range req.Topics {
			for _, p := range t.Partitions {
				if !yield(t.Topic, p.Partition) {
					return
				}
			}
		}
	}
}
