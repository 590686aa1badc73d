package v1alpha1

import (
	"encoding/json"

	"github.com/ferryhq/ferry/api/externalsecrets/internal/lossless"
	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

var (
	fakeValidationResultField = lossless.HubField[*esv1.ValidationResult]{
		Name: "spec.provider.fake.validationResult",
	}
	// v1 has no valueMap: a v1alpha1 entry with only a valueMap serves it in v1 as a JSON
	// value, which is how v1 serves dataFrom entries.
	fakeDataSection = lossless.Section[[]esv1.FakeProviderData, []FakeProviderData]{
		Name: "spec.provider.fake.data", Down: fakeDataFromHub, Up: fakeDataToHub,
	}
)

func fakeToHub(st *lossless.Stash, in *FakeProvider) *esv1.FakeProvider {
	if in == nil {
		return nil
	}
	return &esv1.FakeProvider{
		Data:             fakeDataSection.ToHub(st, in.Data),
		ValidationResult: fakeValidationResultField.Restore(st),
	}
}

func fakeFromHub(st *lossless.Stash, in *esv1.FakeProvider) *FakeProvider {
	if in == nil {
		return nil
	}
	fakeValidationResultField.Keep(st, in.ValidationResult)
	return &FakeProvider{Data: fakeDataSection.FromHub(st, in.Data)}
}

func fakeDataToHub(in []FakeProviderData) []esv1.FakeProviderData {
	return lossless.ConvertSlice(in, func(data FakeProviderData) esv1.FakeProviderData {
		value := data.Value
		if value == "" && len(data.ValueMap) > 0 {
			// A map of strings always encodes, with its keys sorted.
			raw, _ := json.Marshal(data.ValueMap)
			value = string(raw)
		}
		return esv1.FakeProviderData{Key: data.Key, Value: value, Version: data.Version}
	})
}

func fakeDataFromHub(in []esv1.FakeProviderData) []FakeProviderData {
	return lossless.ConvertSlice(in, func(data esv1.FakeProviderData) FakeProviderData {
		return FakeProviderData{Key: data.Key, Value: data.Value, Version: data.Version}
	})
}
