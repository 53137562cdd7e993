import type { CommandModule } from 'yargs';
import { selectBackend } from '../../backend/select_backend';
import { loadConfig } from '../../config/parse_config';
import { cacheTeacher, parseShard } from '../../pipelines/cache_teacher';
import { SCHEDULERS, shardFromScheduler } from '../../pipelines/scheduler_shard';
import { emit, runCommand } from '../output';
import { CommonArgs } from '../common_args';

interface CacheArgs extends CommonArgs {
  config: string;
  set: string[];
  shard?: string;
  shards?: number;
  merge?: number;
}

export const cacheTeacherCommand: CommandModule<CommonArgs, CacheArgs> = {
  command: 'cache-teacher',
  describe: 'Precompute teacher sentence embeddings for a config (whole, one shard of N, or merge N shards)',
  builder: (y) =>
    y
      .option('config', { type: 'string', demandOption: true, describe: 'experiment config (YAML or JSON)' })
      .option('set', { type: 'string', array: true, default: [], describe: 'override a config key: key=value' })
      .option('shard', { type: 'string', describe: 'compute only shard i/N (separate processes or machines); default: read from the scheduler\'s array variables, see --shards' })
      .option('shards', { type: 'number', describe: `shard count N, for a scheduler that gives each task only its index (Kubernetes: the Job's .spec.completions); the index comes from ${Object.values(SCHEDULERS).map((s) => s.indexVar).join(', ')}` })
      .option('merge', { type: 'number', describe: 'check shards 0..N-1 are all present and complete, then fold them into the cache (safe to run twice)' })
      .conflicts('shard', ['merge', 'shards'])
      .conflicts('merge', 'shards') as never,
  handler: runCommand(async (args: CacheArgs) => {
    const cfg = loadConfig(args.config, args.set);
    // An explicit --shard wins; --merge runs outside the array (e.g. a dependent job) and reads no scheduler variables.
    const picked = args.shard || args.merge !== undefined ? undefined : shardFromScheduler(process.env, args.shards);
    if (picked) process.stderr.write(`cache-teacher: shard ${picked.index}/${picked.count} from the ${picked.from}\n`);
    const shard = args.shard ? parseShard(args.shard) : picked;
    const backend = await selectBackend(args.backend, { verbose: args.verbose });
    if (backend.warning) process.stderr.write(backend.warning + '\n');
    const s = await cacheTeacher(cfg, { shard, merge: args.merge, quiet: args.json });
    emit(args, { backend: backend.name, ...(picked ? { scheduler: picked.scheduler } : {}), ...s }, () =>
      [
        s.merged !== undefined
          ? `merged ${s.merged} shards: ${s.added} rows added${s.alreadyMerged ? ` (${s.alreadyMerged} shards were merged before)` : ''}, ${s.cached} rows now cached`
          : `teacher embeddings${s.shard ? ` for shard ${s.shard}` : ''}: ${s.sentences} sentences, ${s.cached} already cached, ${s.computed} computed in ${s.seconds.toFixed(1)}s${s.byOthers ? `, ${s.byOthers} computed meanwhile by another process` : ''}`,
        `data: ${s.read.rows} rows read, ${s.read.records} records, ${s.read.duplicates} duplicates, ${s.read.filtered} filtered, ${s.read.badRows} bad rows skipped`,
        ...s.read.badExamples.map((e) => `  bad row: ${e}`),
        `cache: ${s.shardFile ?? s.cacheDir} (teacher ${s.fingerprint})`,
        ...(s.prepared ? [`prepared dataset for distill train: ${s.prepared.dir} (${s.prepared.rows} rows${s.prepared.reused ? ', there already' : ''})`] : []),
      ].join('\n'));
  }),
};
