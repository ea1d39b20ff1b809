// Package export checks candlecassette's Parquet export with an
// independent reader: Apache Arrow's Go Parquet implementation
// (github.com/apache/arrow-go/v18/parquet), not parquet-go, which wrote
// the file. Schema, logical types and every value are compared with the
// source data. It lives in the compat module to keep Arrow out of the
// main module's dependencies.
package export
