package binance

import "github.com/candlecassette/candlecassette/plugins"

// wsProtocol is Binance's market stream protocol.
type wsProtocol struct{ s *server }

func (w *wsProtocol) Open(s *plugins.Session) error                    { return nil }
func (w *wsProtocol) Message(s *plugins.Session, typ int, data []byte) {}
