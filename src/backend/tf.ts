// The one import of TensorFlow.js for the whole codebase. The union package
// is used (not tfjs-core alone) because it registers the chained-op methods
// (x.add(y)) and the pure-JS cpu backend in CommonJS.
export * from '@tensorflow/tfjs';
