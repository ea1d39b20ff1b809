package replay

// The built-in exchanges are served without further ado: a Go test that
// calls Start with Exchange "binance_spot" needs no blank import of
// plugins/all. Extra plugins still register through plugins.Register.
import _ "github.com/candlecassette/candlecassette/plugins/all"
