package kucoin

// FuturesSeqSpan is futuresSeqSpan for the external tests.
const FuturesSeqSpan = futuresSeqSpan
