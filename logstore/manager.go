package logstore

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sys/unix"

	"github.com/kafka-classic/kafka-classic/config"
)

// ManagerOptions configures OpenManager; zero intervals take Kafka's defaults.
type ManagerOptions struct {
	Dirs                            []string
	Defaults                        config.Log
	RecoveryThreads                 int
	RetentionCheckInterval          time.Duration // log.retention.check.interval.ms
	RecoveryCheckpointInterval      time.Duration // log.flush.offset.checkpoint.interval.ms
	StartOffsetCheckpointInterval   time.Duration // log.flush.start.offset.checkpoint.interval.ms
	HighWatermarkCheckpointInterval time.Duration // replica.high.watermark.checkpoint.interval.ms
	FlushSchedulerInterval          time.Duration // log.flush.scheduler.interval.ms
	Logger                          zerolog.Logger
	Now                             func() time.Time // nil -> time.Now
	// Log cleaner (log.cleaner.*): DisableCleaner is log.cleaner.enable=false; CleanerBackoff is
	// log.cleaner.backoff.ms (default 15 s); CleanerDedupeBufferSize is
	// log.cleaner.dedupe.buffer.size (default 128 MiB), which bounds the keys mapped per pass.
	DisableCleaner          bool
	CleanerBackoff          time.Duration
	CleanerDedupeBufferSize int64
}

// DirInfo and PartitionDirInfo answer DescribeLogDirs.
type DirInfo struct {
	Path       string
	Partitions []PartitionDirInfo
}

type PartitionDirInfo struct {
	TP        TopicPartition
	Size      int64
	OffsetLag int64
	IsFuture  bool
}

type logDir struct {
	path  string
	lock  *os.File
	clean bool
}

// Manager is LogManager: owns the log dirs, every Log in them and the background tasks.
type Manager struct {
	o      ManagerOptions
	logger zerolog.Logger
	dirs   []*logDir

	mu     sync.RWMutex
	logs   map[TopicPartition]*Log
	closed bool

	ckMu    sync.Mutex // checkpoint files share one .tmp name each
	stop    chan struct{}
	wg      sync.WaitGroup
	started bool
	delWG   sync.WaitGroup
	cleaner *logCleaner
}

// OpenManager locks every dir, detects a clean shutdown, and loads (recovering if needed) every
// partition dir found.
func OpenManager(o ManagerOptions) (*Manager, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RecoveryThreads <= 0 {
		o.RecoveryThreads = 1
	}
	if o.RetentionCheckInterval <= 0 {
		o.RetentionCheckInterval = 5 * time.Minute
	}
	if o.RecoveryCheckpointInterval <= 0 {
		o.RecoveryCheckpointInterval = time.Minute
	}
	if o.StartOffsetCheckpointInterval <= 0 {
		o.StartOffsetCheckpointInterval = time.Minute
	}
	if o.HighWatermarkCheckpointInterval <= 0 {
		o.HighWatermarkCheckpointInterval = 5 * time.Second
	}
	if o.FlushSchedulerInterval <= 0 {
		o.FlushSchedulerInterval = time.Duration(1<<63 - 1)
	}
	if o.CleanerBackoff <= 0 {
		o.CleanerBackoff = 15 * time.Second
	}
	if len(o.Dirs) == 0 {
		return nil, errors.New("logstore: no log dirs configured")
	}
	m := &Manager{o: o, logger: o.Logger, logs: make(map[TopicPartition]*Log), stop: make(chan struct{})}
	start := time.Now()
	m.logger.Info().Msgf("Loading logs from log dirs %s", "ArrayBuffer("+strings.Join(o.Dirs, ", ")+")")
	for _, d := range o.Dirs {
		ld, err := m.lockDir(d)
		if err != nil {
			m.unlockAll()
			return nil, err
		}
		m.dirs = append(m.dirs, ld)
	}
	// Dirs load in parallel, each with its own pool of RecoveryThreads.
	counts := make([]int, len(m.dirs))
	errs := make([]error, len(m.dirs))
	var wg sync.WaitGroup
	for i, ld := range m.dirs {
		i, ld := i, ld
		wg.Add(1)
		go func() {
			defer wg.Done()
			counts[i], errs[i] = m.loadDir(ld)
		}()
	}
	wg.Wait()
	total := 0
	for i := range m.dirs {
		if errs[i] != nil {
			m.closeLogsNoCheckpoint()
			m.unlockAll()
			return nil, errs[i]
		}
		total += counts[i]
	}
	m.logger.Info().Int("logs", total).Msgf("Loaded %d logs in %dms.", total, time.Since(start).Milliseconds())
	m.cleaner = newLogCleaner(m)
	return m, nil
}

func (m *Manager) lockDir(d string) (*logDir, error) {
	abs, err := filepath.Abs(d)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("logstore: failed to create or validate data directory %s: %w", abs, err)
	}
	f, err := os.OpenFile(filepath.Join(abs, lockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: failed to acquire lock on file .lock in %s. A Kafka instance in another process or thread is using this directory",
			ErrLogDirLocked, abs)
	}
	return &logDir{path: abs, lock: f}, nil
}

func (m *Manager) unlockAll() {
	for _, ld := range m.dirs {
		unix.Flock(int(ld.lock.Fd()), unix.LOCK_UN)
		ld.lock.Close()
	}
}

func (m *Manager) closeLogsNoCheckpoint() {
	for _, l := range m.logs {
		l.closeForDelete()
	}
}

// loadDir is LogManager.loadLogs for one dir.
func (m *Manager) loadDir(ld *logDir) (int, error) {
	marker := filepath.Join(ld.path, cleanShutdownFile)
	if _, err := os.Stat(marker); err == nil {
		m.logger.Info().Msgf("Skipping recovery for all logs in %s since clean shutdown file was found", ld.path)
		ld.clean = true
	} else {
		m.logger.Info().Msgf("Attempting recovery for all logs in %s since no clean shutdown file was found", ld.path)
	}
	rps, err := readOffsetCheckpoint(filepath.Join(ld.path, recoveryPointCheckpointFile))
	if err != nil {
		m.logger.Warn().Err(err).Msgf("Error occurred while reading recovery-point-offset-checkpoint file of directory %s, resetting the recovery checkpoint to 0", ld.path)
		rps = map[TopicPartition]int64{}
	}
	starts, err := readOffsetCheckpoint(filepath.Join(ld.path, logStartCheckpointFile))
	if err != nil {
		m.logger.Warn().Err(err).Msgf("Error occurred while reading log-start-offset-checkpoint file of directory %s, resetting to the base offset of the first segment", ld.path)
		starts = map[TopicPartition]int64{}
	}
	hws, err := readOffsetCheckpoint(filepath.Join(ld.path, replicationCheckpointFile))
	if err != nil {
		m.logger.Warn().Err(err).Msgf("Error occurred while reading replication-offset-checkpoint file of directory %s", ld.path)
		hws = map[TopicPartition]int64{}
	}
	ents, err := os.ReadDir(ld.path)
	if err != nil {
		return 0, err
	}
	type job struct {
		tp  TopicPartition
		dir string
	}
	var jobs []job
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		name := e.Name()
		full := filepath.Join(ld.path, name)
		switch {
		case strings.HasSuffix(name, "-delete"):
			m.removeDirAsync(strings.TrimSuffix(name[:max(strings.LastIndexByte(name, '.'), 0)], "-delete"), full)
			continue
		case strings.HasSuffix(name, "-future"):
			m.logger.Warn().Msgf("Ignoring future replica dir %s (intra-broker moves are not supported)", full)
			continue
		}
		tp, ok := parseTopicPartition(name)
		if !ok {
			continue
		}
		jobs = append(jobs, job{tp, full})
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	sem := make(chan struct{}, m.o.RecoveryThreads)
	for _, j := range jobs {
		j := j
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			p := loadParams{dir: j.dir, parent: ld.path, tp: j.tp, cfg: m.o.Defaults, clean: ld.clean,
				recoveryPoint: 0, logStart: -1, hw: -1, now: m.o.Now, logger: m.logger}
			if v, ok := rps[j.tp]; ok {
				p.recoveryPoint = v
			}
			if v, ok := starts[j.tp]; ok {
				p.logStart = v
			}
			if v, ok := hws[j.tp]; ok {
				p.hw = v
			}
			l, err := loadLog(p)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("logstore: loading %s: %w", j.dir, err)
				}
				return
			}
			m.mu.Lock()
			m.logs[j.tp] = l
			m.mu.Unlock()
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return 0, firstErr
	}
	// The marker only vouches for the shutdown it followed.
	if ld.clean {
		os.Remove(marker)
	}
	return len(jobs), nil
}

func (m *Manager) removeDirAsync(tp, dir string) {
	m.delWG.Add(1)
	go func() {
		defer m.delWG.Done()
		if err := os.RemoveAll(dir); err != nil {
			m.logger.Error().Err(err).Msgf("Exception while deleting %s in dir %s.", dir, filepath.Dir(dir))
			return
		}
		m.logger.Info().Msgf("Deleted log for partition %s in %s.", tp, dir)
	}()
}

// Logs returns every log, ordered by topic and partition.
func (m *Manager) Logs() []*Log {
	m.mu.RLock()
	out := make([]*Log, 0, len(m.logs))
	for _, l := range m.logs {
		out = append(out, l)
	}
	m.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].tp, out[j].tp
		if a.Topic != b.Topic {
			return a.Topic < b.Topic
		}
		return a.Partition < b.Partition
	})
	return out
}

func (m *Manager) Get(tp TopicPartition) (*Log, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	l, ok := m.logs[tp]
	return l, ok
}

// GetOrCreate returns the log for tp, creating it in the dir hosting the fewest partitions.
func (m *Manager) GetOrCreate(tp TopicPartition, cfg config.Log, topicID [16]byte) (*Log, error) {
	if l, ok := m.Get(tp); ok {
		return l, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	if l, ok := m.logs[tp]; ok {
		return l, nil
	}
	counts := make(map[string]int)
	for _, l := range m.logs {
		counts[l.parent]++
	}
	best := m.dirs[0]
	for _, d := range m.dirs[1:] {
		if counts[d.path] < counts[best.path] {
			best = d
		}
	}
	dir := filepath.Join(best.path, tp.String())
	l, err := loadLog(loadParams{dir: dir, parent: best.path, tp: tp, cfg: cfg, clean: true, logStart: -1, hw: -1,
		now: m.o.Now, logger: m.logger})
	if err != nil {
		return nil, err
	}
	var zero [16]byte
	if topicID != zero {
		if err := l.SetTopicID(topicID); err != nil {
			l.closeForDelete()
			return nil, err
		}
	}
	m.logs[tp] = l
	m.logger.Info().Str("partition", tp.String()).Msgf("Created log for partition %s in %s with properties %s", tp, dir, describeConfig(l.cfg.Load().cfg))
	return l, nil
}

func describeConfig(c config.Log) string {
	return fmt.Sprintf("{cleanup.policy=%s, compression.type=%s, max.message.bytes=%d, message.timestamp.type=%s, min.insync.replicas=%d, retention.bytes=%d, retention.ms=%d, segment.bytes=%d, segment.ms=%d}",
		c.CleanupPolicy, c.CompressionType, c.MaxMessageBytes, c.MessageTimestampType, c.MinInsyncReplicas, c.RetentionBytes, c.RetentionMs, c.SegmentBytes, c.SegmentMs)
}

// Delete renames the partition dir to <tp>.<32hex>-delete and removes it asynchronously.
func (m *Manager) Delete(tp TopicPartition) error {
	m.mu.Lock()
	l, ok := m.logs[tp]
	if ok {
		delete(m.logs, tp)
	}
	m.mu.Unlock()
	if !ok {
		return nil
	}
	l.closeForDelete()
	var rnd [16]byte
	rand.Read(rnd[:])
	suffix := "." + hex.EncodeToString(rnd[:]) + "-delete"
	name := tp.String()
	if len(name)+len(suffix) > 255 {
		name = name[:255-len(suffix)]
	}
	target := filepath.Join(l.parent, name+suffix)
	if err := os.Rename(l.dir, target); err != nil {
		return err
	}
	syncDir(l.parent)
	m.logger.Info().Msgf("Log for partition %s is renamed to %s and is scheduled for deletion", tp, target)
	m.removeDirAsync(tp.String(), target)
	// The partition must vanish from the dir-level checkpoints too.
	m.checkpointAll()
	m.cleaner.forget(tp)
	return nil
}

// DescribeDirs reports every dir and the partitions in it.
func (m *Manager) DescribeDirs() []DirInfo {
	out := make([]DirInfo, 0, len(m.dirs))
	logs := m.Logs()
	for _, d := range m.dirs {
		di := DirInfo{Path: d.path}
		for _, l := range logs {
			if l.parent == d.path {
				di.Partitions = append(di.Partitions, PartitionDirInfo{TP: l.tp, Size: l.Size()})
			}
		}
		out = append(out, di)
	}
	return out
}

// ReadMeta reads dir's meta.properties; ok=false when it does not exist.
func (m *Manager) ReadMeta(dir string) (MetaProperties, bool, error) {
	path := filepath.Join(dir, metaPropertiesFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return MetaProperties{}, false, nil
	}
	if err != nil {
		return MetaProperties{}, false, err
	}
	mp, err := parseMetaProperties(path, data)
	if err != nil {
		return MetaProperties{}, false, err
	}
	return mp, true, nil
}

// ReadAllMeta reads meta.properties from every dir; all present files must agree.
func (m *Manager) ReadAllMeta() (MetaProperties, bool, error) {
	var found MetaProperties
	var have bool
	for _, d := range m.dirs {
		mp, ok, err := m.ReadMeta(d.path)
		if err != nil {
			return MetaProperties{}, false, err
		}
		if !ok {
			continue
		}
		if have && mp != found {
			return MetaProperties{}, false, fmt.Errorf("%w: BrokerMetadata is not consistent across log.dirs (%+v vs %+v in %s)", ErrInconsistentMeta, found, mp, d.path)
		}
		found, have = mp, true
	}
	return found, have, nil
}

// WriteMeta writes meta.properties to every dir (tmp + fsync + rename).
func (m *Manager) WriteMeta(mp MetaProperties) error {
	data := formatMetaProperties(mp, m.o.Now())
	for _, d := range m.dirs {
		if err := writeFileAtomic(filepath.Join(d.path, metaPropertiesFile), data); err != nil {
			return err
		}
	}
	return nil
}

// StartBackground starts retention, the checkpoint writers, the flusher and the log cleaner.
func (m *Manager) StartBackground() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.started || m.closed {
		return
	}
	m.started = true
	// Kafka starts retention after InitialTaskDelayMs (30 s), bounded here by the interval.
	initial := 30 * time.Second
	if m.o.RetentionCheckInterval < initial {
		initial = m.o.RetentionCheckInterval
	}
	m.every("kafka-log-retention", initial, m.o.RetentionCheckInterval, func() { m.cleanupLogs() })
	m.every("kafka-recovery-point-checkpoint", m.o.RecoveryCheckpointInterval, m.o.RecoveryCheckpointInterval, m.checkpointRecoveryPoints)
	m.every("kafka-log-start-offset-checkpoint", m.o.StartOffsetCheckpointInterval, m.o.StartOffsetCheckpointInterval, m.checkpointLogStartOffsets)
	m.every("highwatermark-checkpoint", m.o.HighWatermarkCheckpointInterval, m.o.HighWatermarkCheckpointInterval, m.checkpointHighWatermarks)
	if m.o.FlushSchedulerInterval < time.Duration(1<<63-1) {
		m.every("kafka-log-flusher", m.o.FlushSchedulerInterval, m.o.FlushSchedulerInterval, m.flushDirtyLogs)
	}
	if !m.o.DisableCleaner {
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			m.cleaner.run()
		}()
	}
	m.every("kafka-producer-expiration", 10*time.Minute, 10*time.Minute, func() {
		for _, l := range m.Logs() {
			l.expireProducers()
		}
	})
}

func (m *Manager) every(name string, initial, period time.Duration, fn func()) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		t := time.NewTimer(initial)
		defer t.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-t.C:
				fn()
				t.Reset(period)
			}
		}
	}()
}

// cleanupLogs is LogManager.cleanupLogs: one retention pass over every log.
func (m *Manager) cleanupLogs() int {
	start := time.Now()
	total := 0
	for _, l := range m.Logs() {
		total += l.deleteOldSegments()
	}
	m.logger.Debug().Msgf("Log cleanup completed. %d files deleted in %d seconds", total, int(time.Since(start).Seconds()))
	return total
}

func (m *Manager) flushDirtyLogs() {
	for _, l := range m.Logs() {
		l.maybeFlushByTime()
	}
}

func (m *Manager) logsByDir() map[string][]*Log {
	out := make(map[string][]*Log)
	for _, l := range m.Logs() {
		out[l.parent] = append(out[l.parent], l)
	}
	return out
}

func (m *Manager) writeDirCheckpoint(file string, value func(*Log) (int64, bool)) {
	m.ckMu.Lock()
	defer m.ckMu.Unlock()
	byDir := m.logsByDir()
	for _, d := range m.dirs {
		vals := make(map[TopicPartition]int64)
		for _, l := range byDir[d.path] {
			if v, ok := value(l); ok {
				vals[l.tp] = v
			}
		}
		if err := writeOffsetCheckpoint(filepath.Join(d.path, file), vals); err != nil {
			m.logger.Error().Err(err).Msgf("Disk error while writing to %s file in directory %s", file, d.path)
		}
	}
}

func (m *Manager) checkpointRecoveryPoints() {
	m.writeDirCheckpoint(recoveryPointCheckpointFile, func(l *Log) (int64, bool) { return l.recoveryPoint.Load(), true })
}

// checkpointLogStartOffsets only records logs whose start is above their first segment's base.
func (m *Manager) checkpointLogStartOffsets() {
	m.writeDirCheckpoint(logStartCheckpointFile, func(l *Log) (int64, bool) {
		l.segMu.RLock()
		first := l.segs[0].base
		l.segMu.RUnlock()
		ls := l.logStart.Load()
		return ls, ls > first
	})
}

func (m *Manager) checkpointHighWatermarks() {
	m.writeDirCheckpoint(replicationCheckpointFile, func(l *Log) (int64, bool) { return l.hw.Load(), true })
}

func (m *Manager) checkpointAll() {
	m.checkpointRecoveryPoints()
	m.checkpointLogStartOffsets()
	m.checkpointHighWatermarks()
}

// Close is LogManager.shutdown: stop tasks, flush and close every log (trimming indexes, taking
// producer snapshots), write checkpoints, leave .kafka_cleanshutdown, unlock.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.mu.Unlock()
	m.logger.Info().Msg("Shutting down.")
	close(m.stop)
	m.wg.Wait()
	var firstErr error
	byDir := m.logsByDir()
	for _, d := range m.dirs {
		m.logger.Info().Msgf("Flushing and closing logs at %s", d.path)
		var wg sync.WaitGroup
		var mu sync.Mutex
		sem := make(chan struct{}, m.o.RecoveryThreads)
		for _, l := range byDir[d.path] {
			l := l
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				if err := l.close(); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
	}
	for _, d := range m.dirs {
		m.logger.Info().Msgf("Updating recovery points at %s", d.path)
	}
	m.checkpointRecoveryPoints()
	for _, d := range m.dirs {
		m.logger.Info().Msgf("Updating log start offsets at %s", d.path)
	}
	m.checkpointLogStartOffsets()
	m.checkpointHighWatermarks()
	m.delWG.Wait()
	if firstErr == nil {
		for _, d := range m.dirs {
			m.logger.Info().Msgf("Writing clean shutdown marker at %s", d.path)
			f, err := os.Create(filepath.Join(d.path, cleanShutdownFile))
			if err == nil {
				f.Sync()
				f.Close()
				syncDir(d.path)
			} else if firstErr == nil {
				firstErr = err
			}
		}
	}
	m.unlockAll()
	m.logger.Info().Msg("Shutdown complete.")
	return firstErr
}
