package v1beta1

import (
	"github.com/ferryhq/ferry/api/externalsecrets/internal/lossless"
	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

var fakeValidationResultField = lossless.HubField[*esv1.ValidationResult]{
	Name: "spec.provider.fake.validationResult",
}

func fakeToHub(st *lossless.Stash, in *FakeProvider) *esv1.FakeProvider {
	if in == nil {
		return nil
	}
	return &esv1.FakeProvider{
		Data: lossless.ConvertSlice(in.Data, func(data FakeProviderData) esv1.FakeProviderData {
			return esv1.FakeProviderData(data)
		}),
		ValidationResult: fakeValidationResultField.Restore(st),
	}
}

func fakeFromHub(st *lossless.Stash, in *esv1.FakeProvider) *FakeProvider {
	if in == nil {
		return nil
	}
	fakeValidationResultField.Keep(st, in.ValidationResult)
	return &FakeProvider{
		Data: lossless.ConvertSlice(in.Data, func(data esv1.FakeProviderData) FakeProviderData {
			return FakeProviderData(data)
		}),
	}
}
