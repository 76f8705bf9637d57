package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kafka-classic/kafka-classic/coordinator"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

func init() {
	register(tool{name: "kafka-dump-log", short: "dump-log",
		usage: "parse a log segment or index file and dump its contents", run: dumpLogTool})
}

type dumpOptions struct {
	*toolOptions
	print, verify, sanity, files, maxSize, deep, valueDecoder, keyDecoder *Opt
	offsets, txnLog, clusterMeta, skipMeta                                *Opt
}

func newDumpOptions(args []string) *dumpOptions {
	d := &dumpOptions{toolOptions: newToolOptions(args)}
	p := d.Parser
	d.print = p.Accepts("print-data-log", "if set, printing the messages content when dumping data logs. Automatically set if any decoder option is specified.")
	d.verify = p.Accepts("verify-index-only", "if set, just verify the index log without printing its content.")
	d.sanity = p.Accepts("index-sanity-check", "if set, just checks the index sanity without printing its content. This is the same check that is executed on broker startup to determine if an index needs rebuilding or not.")
	d.files = p.Accepts("files", "REQUIRED: The comma separated list of data and index log files to be dumped.").WithRequiredArg().DescribedAs("file1, file2, ...")
	d.maxSize = p.Accepts("max-message-size", "Size of largest message.").WithRequiredArg().DescribedAs("size").OfType("Integer").DefaultsTo("5242880")
	d.deep = p.Accepts("deep-iteration", "if set, uses deep instead of shallow iteration. Automatically set if print-data-log is enabled.")
	d.valueDecoder = p.Accepts("value-decoder-class", "if set, used to deserialize the messages. This class should implement kafka.serializer.Decoder trait. Custom jar should be available in kafka/libs directory.").
		WithOptionalArg().DefaultsTo("kafka.serializer.StringDecoder")
	d.keyDecoder = p.Accepts("key-decoder-class", "if set, used to deserialize the keys. This class should implement kafka.serializer.Decoder trait. Custom jar should be available in kafka/libs directory.").
		WithOptionalArg().DefaultsTo("kafka.serializer.StringDecoder")
	d.offsets = p.Accepts("offsets-decoder", "if set, log data will be parsed as offset data from the __consumer_offsets topic.")
	d.txnLog = p.Accepts("transaction-log-decoder", "if set, log data will be parsed as transaction metadata from the __transaction_state topic.")
	d.clusterMeta = p.Accepts("cluster-metadata-decoder", "if set, log data will be parsed as cluster metadata records.")
	d.skipMeta = p.Accepts("skip-record-metadata", "whether to skip printing metadata for each record.")
	return d
}

// dumpSettings are the resolved options DumpLogSegments works with.
type dumpSettings struct {
	printData, deep, verifyOnly, sanityOnly, skipMeta bool
	maxMessageSize                                    int
	parser                                            func(key, value []byte) (k, v *string)
	keyHex, valueHex                                  bool
}

// dumpErrors collects what DumpLogSegments prints on stderr after all files.
type dumpErrors struct {
	indexMismatches map[string][][2]int64
	indexOrder      []string
	nonConsecutive  map[string][][2]int64
	nonConsOrder    []string
	tsMismatch      map[string][][2]int64
	tsMismatchOrder []string
	tsOutOfOrder    map[string][][2]int64
	tsOOOOrder      []string
	shallowMissing  map[string][][2]int64
	shallowOrder    []string
}

func newDumpErrors() *dumpErrors {
	return &dumpErrors{indexMismatches: map[string][][2]int64{}, nonConsecutive: map[string][][2]int64{},
		tsMismatch: map[string][][2]int64{}, tsOutOfOrder: map[string][][2]int64{}, shallowMissing: map[string][][2]int64{}}
}

func addPair(m map[string][][2]int64, order *[]string, key string, a, b int64, prepend bool) {
	if _, ok := m[key]; !ok {
		*order = append(*order, key)
	}
	if prepend {
		m[key] = append([][2]int64{{a, b}}, m[key]...)
	} else {
		m[key] = append(m[key], [2]int64{a, b})
	}
}

func (d *dumpErrors) print(w io.Writer) {
	for _, f := range d.indexOrder {
		fmt.Fprintf(w, "Mismatches in :%s\n", f)
		for _, p := range d.indexMismatches[f] {
			fmt.Fprintf(w, "  Index offset: %d, log offset: %d\n", p[0], p[1])
		}
	}
	for _, f := range d.tsMismatchOrder {
		fmt.Fprintf(w, "Found timestamp mismatch in :%s\n", f)
		for _, p := range d.tsMismatch[f] {
			fmt.Fprintf(w, "  Index timestamp: %d, log timestamp: %d\n", p[0], p[1])
		}
	}
	for _, f := range d.tsOOOOrder {
		fmt.Fprintf(w, "Found out of order timestamp in :%s\n", f)
		for _, p := range d.tsOutOfOrder[f] {
			fmt.Fprintf(w, "  Index timestamp: %d, Previously indexed timestamp: %d\n", p[0], p[1])
		}
	}
	for _, f := range d.shallowOrder {
		fmt.Fprintln(w, "The following indexed offsets are not found in the log.")
		for _, p := range d.shallowMissing[f] {
			fmt.Fprintf(w, "Indexed offset: %d, found log offset: %d\n", p[0], p[1])
		}
	}
	for _, f := range d.nonConsOrder {
		fmt.Fprintf(w, "Non-consecutive offsets in %s\n", f)
		for _, p := range d.nonConsecutive[f] {
			fmt.Fprintf(w, "  %d is followed by %d\n", p[0], p[1])
		}
	}
}

func dumpLogTool(e *env, args []string) error {
	d := newDumpOptions(args)
	s, err := d.Parse(args)
	if err != nil {
		return e.uncaught(joptException(err))
	}
	if err := e.helpAndExitIfNeeded(d.toolOptions, s, "This tool helps to parse a log file and dump its contents to the console, useful for debugging a seemingly corrupt log segment."); err != nil {
		return err
	}
	if err := e.checkRequired(d.Parser, s, d.files); err != nil {
		return err
	}
	maxSize, err := s.IntValueOf(d.maxSize)
	if err != nil {
		return e.uncaught(joptException(err))
	}
	st := dumpSettings{
		printData: s.Has(d.print) || s.Has(d.offsets) || s.Has(d.txnLog) || s.Has(d.clusterMeta) || s.Has(d.valueDecoder) || s.Has(d.keyDecoder),
		skipMeta:  s.Has(d.skipMeta), verifyOnly: s.Has(d.verify), sanityOnly: s.Has(d.sanity), maxMessageSize: int(maxSize),
	}
	st.deep = s.Has(d.deep) || st.printData
	switch {
	case s.Has(d.offsets), s.Has(d.txnLog):
		format := coordinator.FormatRecord
		if !s.Has(d.offsets) {
			format = formatTxnRecord
		}
		st.parser = func(key, value []byte) (*string, *string) {
			k, v, err := format(key, value)
			if err != nil && k == "" {
				return nil, nil
			}
			if err != nil {
				v = "<" + err.Error() + ">"
			}
			return &k, &v
		}
	default:
		kd, vd := s.ValueOf(d.keyDecoder), s.ValueOf(d.valueDecoder)
		for _, cls := range []string{kd, vd} {
			switch cls {
			case "kafka.serializer.StringDecoder", "kafka.serializer.DefaultDecoder":
			default:
				return e.uncaught(newJavaError("java.lang.ClassNotFoundException", "%s", cls))
			}
		}
		st.keyHex = kd == "kafka.serializer.DefaultDecoder"
		st.valueHex = vd == "kafka.serializer.DefaultDecoder"
		st.parser = func(key, value []byte) (*string, *string) {
			var k, v *string
			if key != nil {
				s := decodeWith(key, st.keyHex)
				k = &s
			}
			if value != nil {
				s := decodeWith(value, st.valueHex)
				v = &s
			}
			return k, v
		}
	}
	errs := newDumpErrors()
	out := bufio.NewWriterSize(e.Stdout, 64<<10)
	defer out.Flush()
	for _, f := range strings.Split(s.ValueOf(d.files), ",") {
		fmt.Fprintf(out, "Dumping %s\n", f)
		name := filepath.Base(f)
		dot := strings.LastIndex(name, ".")
		suffix := ""
		if dot >= 0 {
			suffix = name[dot:]
		}
		var err error
		switch suffix {
		case ".log":
			err = dumpLogFile(out, e.Stderr, f, st, errs)
		case ".index":
			err = dumpIndexFile(out, f, st, errs)
		case ".timeindex":
			err = dumpTimeIndexFile(out, f, st, errs)
		case ".snapshot":
			err = dumpSnapshotFile(out, e.Stderr, f)
		case ".txnindex":
			err = dumpTxnIndexFile(out, f)
		default:
			out.Flush()
			fmt.Fprintf(e.Stderr, "Ignoring unknown file %s\n", f)
		}
		if err != nil {
			out.Flush()
			var je *javaError
			if !errors.As(err, &je) {
				je = javaIOError(err)
			}
			return e.uncaught(je)
		}
	}
	out.Flush()
	errs.print(e.Stderr)
	return nil
}

func javaIOError(err error) *javaError {
	var pe *os.PathError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, os.ErrNotExist) {
			return newJavaError("java.nio.file.NoSuchFileException", "%s", pe.Path)
		}
		return newJavaError("java.io.IOException", "%s", pe.Error())
	}
	return newJavaError("org.apache.kafka.common.KafkaException", "%s", err.Error())
}

// decodeWith is StringDecoder (UTF-8, malformed input replaced) or DefaultDecoder, which
// yields a byte[] whose toString is "[B@hash"; hex is the useful reading of that.
func decodeWith(b []byte, hex bool) string {
	if hex {
		return fmt.Sprintf("%x", b)
	}
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

func baseOffsetOfFile(path string) (int64, error) {
	name := filepath.Base(path)
	head, _, _ := strings.Cut(name, ".")
	n, err := strconv.ParseInt(head, 10, 64)
	if err != nil {
		return 0, newJavaError("java.lang.NumberFormatException", "For input string: \"%s\"", head)
	}
	return n, nil
}

// ---------------------------------------------------------------------------------------
// Record batches (magic 2) as stored in .log files.

const (
	batchHeaderSize = 61 // through recordsCount
	logOverheadSize = 12 // baseOffset + batchLength
)

var crc32c = crc32.MakeTable(crc32.Castagnoli)

// diskBatch is one batch read from a segment.
type diskBatch struct {
	raw []byte // the whole batch, from baseOffset
}

func (b diskBatch) baseOffset() int64      { return int64(binary.BigEndian.Uint64(b.raw[0:])) }
func (b diskBatch) size() int              { return len(b.raw) }
func (b diskBatch) leaderEpoch() int32     { return int32(binary.BigEndian.Uint32(b.raw[12:])) }
func (b diskBatch) magic() int8            { return int8(b.raw[16]) }
func (b diskBatch) crc() uint32            { return binary.BigEndian.Uint32(b.raw[17:]) }
func (b diskBatch) attributes() int16      { return int16(binary.BigEndian.Uint16(b.raw[21:])) }
func (b diskBatch) lastOffsetDelta() int32 { return int32(binary.BigEndian.Uint32(b.raw[23:])) }
func (b diskBatch) firstTimestamp() int64  { return int64(binary.BigEndian.Uint64(b.raw[27:])) }
func (b diskBatch) maxTimestamp() int64    { return int64(binary.BigEndian.Uint64(b.raw[35:])) }
func (b diskBatch) producerID() int64      { return int64(binary.BigEndian.Uint64(b.raw[43:])) }
func (b diskBatch) producerEpoch() int16   { return int16(binary.BigEndian.Uint16(b.raw[51:])) }
func (b diskBatch) baseSequence() int32    { return int32(binary.BigEndian.Uint32(b.raw[53:])) }
func (b diskBatch) count() int32           { return int32(binary.BigEndian.Uint32(b.raw[57:])) }
func (b diskBatch) lastOffset() int64      { return b.baseOffset() + int64(b.lastOffsetDelta()) }
func (b diskBatch) codec() int             { return int(b.attributes() & 7) }
func (b diskBatch) logAppendTime() bool    { return b.attributes()&8 != 0 }
func (b diskBatch) transactional() bool    { return b.attributes()&16 != 0 }
func (b diskBatch) control() bool          { return b.attributes()&32 != 0 }
func (b diskBatch) valid() bool            { return crc32.Checksum(b.raw[21:], crc32c) == b.crc() }

// seqAdd is DefaultRecordBatch.incrementSequence: sequences wrap at Int.MaxValue.
func seqAdd(seq, inc int32) int32 {
	if seq > int32(^uint32(0)>>1)-inc {
		return inc - (int32(^uint32(0)>>1) - seq) - 1
	}
	return seq + inc
}

func (b diskBatch) lastSequence() int32 {
	if b.baseSequence() == -1 {
		return -1
	}
	return seqAdd(b.baseSequence(), b.lastOffsetDelta())
}

func (b diskBatch) timestampType() string {
	if b.magic() == 0 {
		return "NO_TIMESTAMP_TYPE"
	}
	if b.logAppendTime() {
		return "LogAppendTime"
	}
	return "CreateTime"
}

var codecNames = []string{"NONE", "GZIP", "SNAPPY", "LZ4", "ZSTD"}

func codecName(c int) string {
	if c >= 0 && c < len(codecNames) {
		return codecNames[c]
	}
	return "UNKNOWN(" + strconv.Itoa(c) + ")"
}

// batchReader walks a segment file batch by batch (FileLogInputStream).
type batchReader struct {
	f   *os.File
	pos int64
	end int64
}

func newBatchReader(f *os.File, start int64) (*batchReader, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return &batchReader{f: f, pos: start, end: fi.Size()}, nil
}

// next returns the batch at the current position, or nil when fewer bytes than a whole batch
// remain. A size below the minimum header is a corrupt record, as in Kafka.
func (r *batchReader) next() (*diskBatch, int64, error) {
	if r.pos+logOverheadSize > r.end {
		return nil, r.pos, nil
	}
	var hdr [17]byte
	n := int64(len(hdr))
	if r.end-r.pos < n {
		n = r.end - r.pos
	}
	if _, err := r.f.ReadAt(hdr[:n], r.pos); err != nil && err != io.EOF {
		return nil, r.pos, err
	}
	size := int32(binary.BigEndian.Uint32(hdr[8:]))
	if size < 14 { // LegacyRecord.RECORD_OVERHEAD_V0
		return nil, r.pos, newJavaError("org.apache.kafka.common.errors.CorruptRecordException",
			"Found record size %d smaller than minimum record overhead (14) in file %s.", size, r.f.Name())
	}
	total := int64(size) + logOverheadSize
	if r.pos+total > r.end {
		return nil, r.pos, nil
	}
	buf := make([]byte, total)
	if _, err := r.f.ReadAt(buf, r.pos); err != nil && err != io.EOF {
		return nil, r.pos, err
	}
	at := r.pos
	r.pos += total
	return &diskBatch{raw: buf}, at, nil
}

// diskRecord is one record of a v2 batch.
type diskRecord struct {
	offset     int64
	timestamp  int64
	key, value []byte
	headerKeys []string
	sequence   int32
	keySize    int
	valueSize  int
}

func readVarint(b []byte, i *int) (int64, error) {
	v, n := binary.Varint(b[*i:])
	if n <= 0 {
		return 0, errors.New("dumplog: bad varint")
	}
	*i += n
	return v, nil
}

func readVarBytes(b []byte, i *int) ([]byte, int, error) {
	l, err := readVarint(b, i)
	if err != nil {
		return nil, 0, err
	}
	if l < 0 {
		return nil, -1, nil
	}
	if *i+int(l) > len(b) {
		return nil, 0, errors.New("dumplog: truncated record")
	}
	out := b[*i : *i+int(l)]
	*i += int(l)
	return out, int(l), nil
}

// decompress inflates the records section of a compressed batch.
func decompress(codec int, data []byte) ([]byte, error) {
	switch codec {
	case 0:
		return data, nil
	case 1:
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(zr)
	case 2:
		return unsnappy(data)
	case 3:
		return io.ReadAll(lz4.NewReader(bytes.NewReader(data)))
	case 4:
		zr, err := zstd.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		return io.ReadAll(zr)
	}
	return nil, fmt.Errorf("dumplog: unknown compression codec %d", codec)
}

var xerialMagic = []byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0}

// unsnappy reads Kafka's snappy payloads: xerial snappy-java framing (magic, version,
// compatible version, then length-prefixed blocks), or a bare snappy block.
func unsnappy(data []byte) ([]byte, error) {
	if !bytes.HasPrefix(data, xerialMagic) {
		return s2.Decode(nil, data)
	}
	var out []byte
	for i := 16; i < len(data); {
		if i+4 > len(data) {
			return nil, errors.New("dumplog: truncated snappy block")
		}
		n := int(binary.BigEndian.Uint32(data[i:]))
		i += 4
		if i+n > len(data) {
			return nil, errors.New("dumplog: truncated snappy block")
		}
		blk, err := s2.Decode(nil, data[i:i+n])
		if err != nil {
			return nil, err
		}
		out = append(out, blk...)
		i += n
	}
	return out, nil
}

func (b diskBatch) records() ([]diskRecord, error) {
	if b.magic() != 2 || len(b.raw) < batchHeaderSize {
		return nil, nil
	}
	data, err := decompress(b.codec(), b.raw[batchHeaderSize:])
	if err != nil {
		return nil, newJavaError("org.apache.kafka.common.KafkaException", "%v", err)
	}
	n := int(b.count())
	out := make([]diskRecord, 0, max(0, min(n, 1<<16)))
	i := 0
	for r := 0; r < n; r++ {
		if _, err := readVarint(data, &i); err != nil { // record length
			return out, err
		}
		if i >= len(data) {
			return out, errors.New("dumplog: truncated record")
		}
		i++ // attributes
		tsDelta, err := readVarint(data, &i)
		if err != nil {
			return out, err
		}
		offDelta, err := readVarint(data, &i)
		if err != nil {
			return out, err
		}
		rec := diskRecord{offset: b.baseOffset() + offDelta, timestamp: b.firstTimestamp() + tsDelta, sequence: -1}
		if b.logAppendTime() {
			rec.timestamp = b.maxTimestamp()
		}
		if b.baseSequence() != -1 {
			rec.sequence = seqAdd(b.baseSequence(), int32(offDelta))
		}
		if rec.key, rec.keySize, err = readVarBytes(data, &i); err != nil {
			return out, err
		}
		if rec.value, rec.valueSize, err = readVarBytes(data, &i); err != nil {
			return out, err
		}
		nh, err := readVarint(data, &i)
		if err != nil {
			return out, err
		}
		for h := int64(0); h < nh; h++ {
			k, _, err := readVarBytes(data, &i)
			if err != nil {
				return out, err
			}
			if _, _, err := readVarBytes(data, &i); err != nil {
				return out, err
			}
			rec.headerKeys = append(rec.headerKeys, string(k))
		}
		out = append(out, rec)
	}
	return out, nil
}

// formatBatchLine is printBatchLevel.
func formatBatchLine(b diskBatch, position int64) string {
	var sb strings.Builder
	if b.magic() >= 2 {
		fmt.Fprintf(&sb, "baseOffset: %d lastOffset: %d count: %d baseSequence: %d lastSequence: %d producerId: %d producerEpoch: %d partitionLeaderEpoch: %d isTransactional: %t isControl: %t",
			b.baseOffset(), b.lastOffset(), b.count(), b.baseSequence(), b.lastSequence(), b.producerID(), b.producerEpoch(), b.leaderEpoch(), b.transactional(), b.control())
	} else {
		fmt.Fprintf(&sb, "offset: %d", b.baseOffset())
	}
	fmt.Fprintf(&sb, " position: %d %s: %d size: %d magic: %d compresscodec: %s crc: %d isvalid: %t",
		position, b.timestampType(), b.maxTimestamp(), b.size(), b.magic(), codecName(b.codec()), b.crc(), b.valid())
	return sb.String()
}

// formatRecordLine is the deep-iteration line of one record (no trailing newline).
func formatRecordLine(b diskBatch, r diskRecord, position int64, st dumpSettings) string {
	var sb strings.Builder
	prefix := "| "
	if !st.skipMeta {
		fmt.Fprintf(&sb, "%soffset: %d isValid: true crc: null keySize: %d valueSize: %d %s: %d baseOffset: %d lastOffset: %d baseSequence: %d lastSequence: %d producerEpoch: %d partitionLeaderEpoch: %d batchSize: %d magic: %d compressType: %s position: %d",
			prefix, r.offset, r.keySize, r.valueSize, b.timestampType(), r.timestamp, b.baseOffset(), b.lastOffset(), b.baseSequence(), b.lastSequence(),
			b.producerEpoch(), b.leaderEpoch(), b.size(), b.magic(), codecName(b.codec()), position)
		prefix = " "
		fmt.Fprintf(&sb, " sequence: %d headerKeys: [%s]", r.sequence, strings.Join(r.headerKeys, ","))
		if b.control() {
			sb.WriteString(controlDescription(r))
		}
	}
	if st.printData && !b.control() {
		k, v := st.parser(r.key, r.value)
		if k != nil {
			sb.WriteString(prefix + "key: " + *k)
		}
		if v != nil {
			sb.WriteString(" payload: " + *v)
		}
	}
	return sb.String()
}

// controlDescription is the endTxnMarker / controlType part of a control record's line.
func controlDescription(r diskRecord) string {
	typ := int16(-1)
	if len(r.key) >= 4 {
		typ = int16(binary.BigEndian.Uint16(r.key[2:]))
	}
	switch typ {
	case 0, 1:
		name := "ABORT"
		if typ == 1 {
			name = "COMMIT"
		}
		epoch := int32(-1)
		if len(r.value) >= 6 {
			epoch = int32(binary.BigEndian.Uint32(r.value[2:]))
		}
		return fmt.Sprintf(" endTxnMarker: %s coordinatorEpoch: %d", name, epoch)
	}
	return fmt.Sprintf(" controlType: UNKNOWN(%d)", typ)
}

func dumpLogFile(out io.Writer, stderr io.Writer, path string, st dumpSettings, errs *dumpErrors) error {
	base, err := baseOffsetOfFile(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Starting offset: %d\n", base)
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := newBatchReader(f, 0)
	if err != nil {
		return err
	}
	abs, _ := filepath.Abs(path)
	var valid int64
	last := int64(-1)
	for {
		b, _, err := r.next()
		if err != nil {
			return err
		}
		if b == nil {
			break
		}
		fmt.Fprintln(out, formatBatchLine(*b, valid))
		if st.deep {
			recs, err := b.records()
			if err != nil && len(recs) == 0 {
				return err
			}
			for _, rec := range recs {
				if last != -1 && rec.offset != last+1 {
					addPair(errs.nonConsecutive, &errs.nonConsOrder, abs, last, rec.offset, true)
				}
				last = rec.offset
				fmt.Fprintln(out, formatRecordLine(*b, rec, valid, st))
			}
		}
		valid += int64(b.size())
	}
	if trailing := r.end - valid; trailing > 0 {
		fmt.Fprintf(out, "Found %d invalid bytes at the end of %s\n", trailing, filepath.Base(path))
	}
	return nil
}

// ---------------------------------------------------------------------------------------
// Index files.

func readWhole(path string) ([]byte, error) { return os.ReadFile(path) }

func siblingLog(path string) string {
	dir := filepath.Dir(path)
	head, _, _ := strings.Cut(filepath.Base(path), ".")
	return filepath.Join(dir, head+".log")
}

func corruptIndex(format string, args ...any) *javaError {
	return newJavaError("org.apache.kafka.common.errors.CorruptIndexException", format, args...)
}

func dumpIndexFile(out io.Writer, path string, st dumpSettings, errs *dumpErrors) error {
	base, err := baseOffsetOfFile(path)
	if err != nil {
		return err
	}
	logF, err := os.Open(siblingLog(path))
	if err != nil {
		return err
	}
	defer logF.Close()
	data, err := readWhole(path)
	if err != nil {
		return err
	}
	abs, _ := filepath.Abs(path)
	entries := len(data) / 8
	if entries == 0 {
		fmt.Fprintf(out, "%s is empty.\n", path)
		return nil
	}
	entry := func(i int) (int64, int64) {
		return base + int64(int32(binary.BigEndian.Uint32(data[i*8:]))), int64(int32(binary.BigEndian.Uint32(data[i*8+4:])))
	}
	if st.sanityOnly {
		lastOff, _ := entry(entries - 1)
		if lastOff < base {
			return corruptIndex("Corrupt index found, index file (%s) has non-zero size but the last offset is %d which is less than the base offset %d.", abs, lastOff, base)
		}
		if len(data)%8 != 0 {
			return corruptIndex("Index file %s is corrupt, found %d bytes which is neither positive nor a multiple of 8.", abs, len(data))
		}
		fmt.Fprintf(out, "%s passed sanity check.\n", path)
		return nil
	}
	for i := 0; i < entries; i++ {
		off, pos := entry(i)
		if off == base && i > 0 {
			return nil
		}
		r, err := newBatchReader(logF, pos)
		if err != nil {
			return err
		}
		b, _, err := r.next()
		if err != nil {
			return err
		}
		if b == nil {
			return newJavaError("java.util.NoSuchElementException", "")
		}
		if b.lastOffset() != off {
			addPair(errs.indexMismatches, &errs.indexOrder, abs, off, b.lastOffset(), true)
		}
		if !st.verifyOnly {
			fmt.Fprintf(out, "offset: %d position: %d\n", off, pos)
		}
	}
	return nil
}

func dumpTimeIndexFile(out io.Writer, path string, st dumpSettings, errs *dumpErrors) error {
	base, err := baseOffsetOfFile(path)
	if err != nil {
		return err
	}
	logF, err := os.Open(siblingLog(path))
	if err != nil {
		return err
	}
	defer logF.Close()
	head, _, _ := strings.Cut(filepath.Base(path), ".")
	idx, err := readWhole(filepath.Join(filepath.Dir(path), head+".index"))
	if err != nil {
		return err
	}
	data, err := readWhole(path)
	if err != nil {
		return err
	}
	abs, _ := filepath.Abs(path)
	entries := len(data) / 12
	entry := func(i int) (int64, int64) {
		return int64(binary.BigEndian.Uint64(data[i*12:])), base + int64(int32(binary.BigEndian.Uint32(data[i*12+8:])))
	}
	if st.sanityOnly {
		lastTs, lastOff := int64(-1), base
		if entries > 0 {
			lastTs, lastOff = entry(entries - 1)
		}
		if entries > 0 {
			if firstTs, _ := entry(0); lastTs < firstTs {
				return corruptIndex("Corrupt time index found, time index file (%s) has non-zero size but the last timestamp is %d which is less than the first timestamp %d", abs, lastTs, firstTs)
			}
			if lastOff < base {
				return corruptIndex("Corrupt time index found, time index file (%s) has non-zero size but the last offset is %d which is less than the first offset %d", abs, lastOff, base)
			}
		}
		if len(data)%12 != 0 {
			return corruptIndex("Time index file %s is corrupt, found %d bytes which is neither positive nor a multiple of 12.", abs, len(data))
		}
		fmt.Fprintf(out, "%s passed sanity check.\n", path)
		return nil
	}
	// lookup is OffsetIndex.lookup: the position of the largest entry <= offset.
	lookup := func(target int64) int64 {
		n := len(idx) / 8
		pos := int64(0)
		for i := 0; i < n; i++ {
			off := base + int64(int32(binary.BigEndian.Uint32(idx[i*8:])))
			if i > 0 && off == base {
				break
			}
			if off > target {
				break
			}
			pos = int64(int32(binary.BigEndian.Uint32(idx[i*8+4:])))
		}
		return pos
	}
	prev := int64(-1)
	for i := 0; i < entries; i++ {
		ts, off := entry(i)
		if off == base && i > 0 {
			return nil
		}
		r, err := newBatchReader(logF, lookup(off))
		if err != nil {
			return err
		}
		var found *diskBatch
		for {
			b, _, err := r.next()
			if err != nil {
				return err
			}
			if b == nil {
				break
			}
			if b.lastOffset() >= off {
				found = b
				break
			}
		}
		switch {
		case found == nil:
			addPair(errs.shallowMissing, &errs.shallowOrder, abs, off, -1, false)
		case found.lastOffset() != off:
			addPair(errs.shallowMissing, &errs.shallowOrder, abs, off, found.lastOffset(), false)
		default:
			maxTs := int64(-1)
			recs, _ := found.records()
			for _, rec := range recs {
				maxTs = max(maxTs, rec.timestamp)
			}
			if maxTs != ts {
				addPair(errs.tsMismatch, &errs.tsMismatchOrder, abs, ts, maxTs, false)
			}
			if prev >= ts {
				addPair(errs.tsOutOfOrder, &errs.tsOOOOrder, abs, ts, prev, false)
			}
		}
		if !st.verifyOnly {
			fmt.Fprintf(out, "timestamp: %d offset: %d\n", ts, off)
		}
		prev = ts
	}
	return nil
}

// ---------------------------------------------------------------------------------------
// Producer snapshots and transaction indexes.

func dumpSnapshotFile(out, stderr io.Writer, path string) error {
	data, err := readWhole(path)
	if err != nil {
		return err
	}
	if len(data) < 10 {
		fmt.Fprintf(stderr, "Snapshot failed schema validation: Error reading field 'version': java.nio.BufferUnderflowException\n")
		return nil
	}
	version := int16(binary.BigEndian.Uint16(data[0:]))
	if version != 1 {
		fmt.Fprintf(stderr, "Snapshot contained an unknown file version %d\n", version)
		return nil
	}
	if crc32.Checksum(data[6:], crc32c) != binary.BigEndian.Uint32(data[2:]) {
		fmt.Fprintf(stderr, "Snapshot is corrupt (CRC is no longer valid). Stored crc: %d. Computed crc: %d\n",
			binary.BigEndian.Uint32(data[2:]), crc32.Checksum(data[6:], crc32c))
		return nil
	}
	n := int(int32(binary.BigEndian.Uint32(data[6:])))
	for i, p := 0, 10; i < n && p+46 <= len(data); i, p = i+1, p+46 {
		e := data[p:]
		pid := int64(binary.BigEndian.Uint64(e[0:]))
		epoch := int16(binary.BigEndian.Uint16(e[8:]))
		lastSeq := int32(binary.BigEndian.Uint32(e[10:]))
		lastOff := int64(binary.BigEndian.Uint64(e[14:]))
		delta := int32(binary.BigEndian.Uint32(e[22:]))
		ts := int64(binary.BigEndian.Uint64(e[26:]))
		coordEpoch := int32(binary.BigEndian.Uint32(e[34:]))
		txnFirst := int64(binary.BigEndian.Uint64(e[38:]))
		txn := "None"
		if txnFirst >= 0 {
			txn = fmt.Sprintf("Some(%d)", txnFirst)
		}
		fmt.Fprintf(out, "producerId: %d producerEpoch: %d coordinatorEpoch: %d currentTxnFirstOffset: %s ", pid, epoch, coordEpoch, txn)
		if lastSeq >= 0 || lastOff >= 0 {
			fmt.Fprintf(out, "firstSequence: %d lastSequence: %d lastOffset: %d offsetDelta: %d timestamp: %d", lastSeq-delta, lastSeq, lastOff, delta, ts)
		}
		fmt.Fprintln(out)
	}
	return nil
}

func dumpTxnIndexFile(out io.Writer, path string) error {
	data, err := readWhole(path)
	if err != nil {
		return err
	}
	for p := 0; p+34 <= len(data); p += 34 {
		e := data[p:]
		fmt.Fprintf(out, "version: %d producerId: %d firstOffset: %d lastOffset: %d lastStableOffset: %d\n",
			int16(binary.BigEndian.Uint16(e[0:])), int64(binary.BigEndian.Uint64(e[2:])), int64(binary.BigEndian.Uint64(e[10:])),
			int64(binary.BigEndian.Uint64(e[18:])), int64(binary.BigEndian.Uint64(e[26:])))
	}
	return nil
}

// ---------------------------------------------------------------------------------------
// __transaction_state records (--transaction-log-decoder).

var txnStates = []string{"Empty", "Ongoing", "PrepareCommit", "PrepareAbort", "CompleteCommit", "CompleteAbort", "Dead", "PrepareEpochFence"}

type txnReader struct {
	b   []byte
	err error
}

func (r *txnReader) take(n int) []byte {
	if r.err != nil || n < 0 || len(r.b) < n {
		if r.err == nil {
			r.err = errors.New("dumplog: truncated transaction log record")
		}
		return make([]byte, max(n, 0))
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}
func (r *txnReader) i8() int8   { return int8(r.take(1)[0]) }
func (r *txnReader) i16() int16 { return int16(binary.BigEndian.Uint16(r.take(2))) }
func (r *txnReader) i32() int32 { return int32(binary.BigEndian.Uint32(r.take(4))) }
func (r *txnReader) i64() int64 { return int64(binary.BigEndian.Uint64(r.take(8))) }
func (r *txnReader) str() string {
	n := r.i16()
	return string(r.take(int(n)))
}

// formatTxnRecord is TransactionLog.formatRecordKeyAndValue.
func formatTxnRecord(key, value []byte) (string, string, error) {
	kr := &txnReader{b: key}
	if v := kr.i16(); kr.err == nil && v != 0 {
		return "", "", fmt.Errorf("Unknown version %d from the transaction log message", v)
	}
	id := kr.str()
	if kr.err != nil {
		return "", "", kr.err
	}
	ks := "transaction_metadata::transactionalId=" + id
	if value == nil {
		return ks, "<DELETE>", nil
	}
	r := &txnReader{b: value}
	if v := r.i16(); r.err == nil && v != 0 {
		return ks, "", fmt.Errorf("Unknown version %d from the transaction log message value", v)
	}
	pid, epoch, timeout, status := r.i64(), r.i16(), r.i32(), r.i8()
	var parts []string
	n := r.i32()
	for i := int32(0); i < n && r.err == nil; i++ {
		topic := r.str()
		m := r.i32()
		for j := int32(0); j < m && r.err == nil; j++ {
			parts = append(parts, fmt.Sprintf("%s-%d", topic, r.i32()))
		}
	}
	lastUpdate := r.i64()
	r.i64() // start timestamp: not printed
	if r.err != nil {
		return ks, "", r.err
	}
	if status < 0 || int(status) >= len(txnStates) {
		return ks, "", fmt.Errorf("Unknown transaction state byte %d from the transaction status message", status)
	}
	if status == 0 {
		parts = nil // Empty transactions carry no partitions
	}
	return ks, fmt.Sprintf("producerId:%d,producerEpoch:%d,state=%s,partitions=[%s],txnLastUpdateTimestamp=%d,txnTimeoutMs=%d",
		pid, epoch, txnStates[status], strings.Join(parts, ","), lastUpdate, timeout), nil
}
