import * as tf from './tf';

interface WebgpuModule {
  webgpu_util: {
    flatDispatchLayout(shape: number[]): unknown;
    computeDispatch(layout: unknown, shape: number[], workgroupSize: number[]): unknown;
  };
}

interface ProgramBackend {
  runWebGPUProgram(program: unknown, inputs: tf.TensorInfo[], dtype: tf.DataType): tf.TensorInfo;
}

/**
 * tfjs-backend-webgpu 4.22 casts int32/bool to float32 by relabelling the
 * same buffer, which stays i32 on the GPU: a later shader that reads it as
 * f32 fails WGSL validation ("expected 'f32', got 'i32'", seen on the
 * transpose inside mean pooling's gradient) and the step yields NaN. This
 * replaces that one case of the Cast kernel with a real conversion shader;
 * every other cast goes to the original kernel.
 */
export function fixWebgpuIntToFloatCast(webgpu: WebgpuModule): void {
  const original = tf.getKernel('Cast', 'webgpu');
  if (!original) return;
  const { flatDispatchLayout, computeDispatch } = webgpu.webgpu_util;
  tf.unregisterKernel('Cast', 'webgpu');
  tf.registerKernel({
    kernelName: 'Cast',
    backendName: 'webgpu',
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      const dtype = (args.attrs as { dtype: tf.DataType }).dtype;
      if (dtype !== 'float32' || (x.dtype !== 'int32' && x.dtype !== 'bool')) return original.kernelFunc(args);
      const outputShape = [...x.shape];
      const workgroupSize = [128, 1, 1];
      const dispatchLayout = flatDispatchLayout(outputShape);
      const program = {
        variableNames: ['A'], size: true, workgroupSize, outputShape, dispatchLayout,
        dispatch: computeDispatch(dispatchLayout, outputShape, workgroupSize),
        shaderKey: 'distill_int_to_float',
        getUserCode: () => `
        fn main(index : i32) {
          if (index < uniforms.size) {
            setOutputAtIndex(index, f32(getAByOutputIndex(index)));
          }
        }`,
      };
      return (args.backend as unknown as ProgramBackend).runWebGPUProgram(program, [x], 'float32');
    },
  });
}
