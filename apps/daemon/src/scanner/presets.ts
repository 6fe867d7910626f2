// The presets and the estimate live in @scanopy/detection so the server computes the same estimate.
export * from '@scanopy/detection/scan-presets';
