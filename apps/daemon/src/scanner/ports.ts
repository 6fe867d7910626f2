// Port plans live in @scanopy/detection so the server sizes the same plans for its estimate.
export * from '@scanopy/detection/scan-ports';
