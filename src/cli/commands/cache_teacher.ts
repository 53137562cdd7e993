import type { CommandModule } from 'yargs';
import { selectBackend } from '../../backend/select_backend';
import { loadConfig } from '../../config/parse_config';
import { cacheTeacher, parseShard } from '../../pipelines/cache_teacher';
import { emit, runCommand } from '../output';
import { CommonArgs } from '../common_args';

interface CacheArgs extends CommonArgs {
  config: string;
  set: string[];
  shard?: string;
  merge?: number;
}

export const cacheTeacherCommand: CommandModule<CommonArgs, CacheArgs> = {
  command: 'cache-teacher',
  describe: 'Precompute teacher sentence embeddings for a config (whole, one shard of N, or merge N shards)',
  builder: (y) =>
    y
      .option('config', { type: 'string', demandOption: true, describe: 'experiment config (YAML or JSON)' })
      .option('set', { type: 'string', array: true, default: [], describe: 'override a config key: key=value' })
      .option('shard', { type: 'string', describe: 'compute only shard i/N (separate processes or machines, e.g. array jobs)' })
      .option('merge', { type: 'number', describe: 'check shards 0..N-1 are all present and complete, then fold them into the cache' })
      .conflicts('shard', 'merge') as never,
  handler: runCommand(async (args: CacheArgs) => {
    const cfg = loadConfig(args.config, args.set);
    const shard = args.shard ? parseShard(args.shard) : undefined;
    const backend = await selectBackend(args.backend, { verbose: args.verbose });
    if (backend.warning) process.stderr.write(backend.warning + '\n');
    const s = await cacheTeacher(cfg, { shard, merge: args.merge, quiet: args.json });
    emit(args, { backend: backend.name, ...s }, () =>
      [
        s.merged !== undefined
          ? `merged ${s.merged} shards: ${s.cached} rows now cached`
          : `teacher embeddings${s.shard ? ` for shard ${s.shard}` : ''}: ${s.sentences} sentences, ${s.cached} already cached, ${s.computed} computed in ${s.seconds.toFixed(1)}s${s.byOthers ? `, ${s.byOthers} computed meanwhile by another process` : ''}`,
        `data: ${s.read.rows} rows read, ${s.read.records} records, ${s.read.duplicates} duplicates, ${s.read.filtered} filtered, ${s.read.badRows} bad rows skipped`,
        ...s.read.badExamples.map((e) => `  bad row: ${e}`),
        `cache: ${s.shardFile ?? s.cacheDir} (teacher ${s.fingerprint})`,
      ].join('\n'));
  }),
};
