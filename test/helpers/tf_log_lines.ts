/** TensorFlow's own C++ log lines as TF 2.21 prints them (absl format `I0000 00:00:...`), and older formats. */
export const TF_LINES = /cpu_feature_guard|I tensorflow\/|oneDNN custom operations|absl::|^[IWEF]\d{4} \d\d:\d\d:\d\d/m;

/**
 * TensorFlow's VLOG(1) lines on, so TensorFlow always has lines to print
 * (the CPU-feature line alone depends on the machine's CPU): a clean stderr
 * then proves they were filtered, not that there were none.
 */
export const VLOG = { TF_CPP_MAX_VLOG_LEVEL: '1' };
