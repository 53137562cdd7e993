import { onnx } from 'onnx-proto';

const T = onnx.TensorProto.DataType;

/** Attribute values; wrap floats as {float: x} so 1.0 is not taken for an int. */
type Attr = number | number[] | string | { float: number } | onnx.ITensorProto;

/**
 * A small ONNX graph builder over the onnx-proto message classes: nodes,
 * initializers and constants with unique names, then a ModelProto.
 */
export class OnnxGraph {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private counter = 0;

  fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  input(name: string, elemType: number, dims: Array<number | string>): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  output(name: string, elemType: number, dims: Array<number | string>): void {
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  initializer(name: string, dims: number[], data: Float32Array | Int8Array | BigInt64Array, dataType: number = T.FLOAT): string {
    const raw = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.initializers.push({ name, dims, dataType, rawData: new Uint8Array(raw) });
    return name;
  }

  floats(prefix: string, values: number[], dims: number[] = [values.length]): string {
    return this.initializer(this.fresh(prefix), dims, Float32Array.from(values));
  }

  ints(prefix: string, values: number[]): string {
    return this.initializer(this.fresh(prefix), [values.length], BigInt64Array.from(values.map(BigInt)), T.INT64);
  }

  scalar(prefix: string, value: number): string {
    return this.initializer(this.fresh(prefix), [], Float32Array.of(value));
  }

  node(op: string, inputs: string[], attrs: Record<string, Attr> = {}, nOut = 1, outName?: string): string[] {
    const outputs = Array.from({ length: nOut }, (_, i) => (i === 0 && outName ? outName : this.fresh(op.toLowerCase())));
    this.nodes.push({ opType: op, input: inputs, output: outputs, name: this.fresh(`n_${op}`), attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) });
    return outputs;
  }

  /** Single-output shorthand. */
  op(op: string, inputs: string[], attrs: Record<string, Attr> = {}, outName?: string): string {
    return this.node(op, inputs, attrs, 1, outName)[0];
  }

  toBytes(opset: number, docString: string): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'bert-distill',
      producerVersion: '0.1.0',
      docString,
      opsetImport: [{ domain: '', version: opset }],
      graph: { name: 'sentence_encoder', node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    });
    return onnx.ModelProto.encode(model).finish();
  }

  /** Bytes of weights held in initializers, by data type. */
  initializerBytes(): number {
    return this.initializers.reduce((n, t) => n + (t.rawData?.length ?? 0), 0);
  }
}

function valueInfo(name: string, elemType: number, dims: Array<number | string>): onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

function attribute(name: string, v: Attr): onnx.IAttributeProto {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: A.INTS, ints: v };
  if (typeof v === 'number') return { name, type: A.INT, i: v };
  if ('float' in v) return { name, type: A.FLOAT, f: v.float };
  return { name, type: A.TENSOR, t: v as onnx.ITensorProto };
}

export const DataType = T;
