package binance

// DepthPhase is depthPhase, for the external tests.
var DepthPhase = depthPhase
