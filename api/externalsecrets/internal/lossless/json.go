package lossless

import "encoding/json"

// ViaJSON converts in to Out through JSON: what both types name alike and shape alike is
// copied, and what Out has no place for is dropped. It is the plain conversion of a
// provider whose versions differ only by fields added, removed or made optional, and is
// meant for the Down and Up of a Section, which keeps what was dropped. The result never
// shares memory with in; a value JSON cannot carry converts to Out's zero value.
func ViaJSON[In, Out any](in In) Out {
	var out Out
	raw, err := json.Marshal(in)
	if err != nil {
		return out
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		var zero Out
		return zero
	}
	return out
}

// SameShape is the Section of a part that both versions name and shape alike, but for fields
// that one of them lacks: ViaJSON each way, with what is dropped kept.
func SameShape[H, S any](name string) Section[H, S] {
	return Section[H, S]{Name: name, Down: ViaJSON[H, S], Up: ViaJSON[S, H]}
}
