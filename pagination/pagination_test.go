package pagination

import (
	"errors"
	"reflect"
	"testing"
)

func ptr[T any](v T) *T { return &v }

func TestNewWindow(t *testing.T) {
	c := Cursor{Key: "TITLE", Value: "Mug", ID: 7}.Encode()
	tests := []struct {
		name    string
		args    Args
		want    Window
		wantErr bool
	}{
		{"first", Args{First: ptr(10)}, Window{Limit: 10}, false},
		{"first after", Args{First: ptr(2), After: ptr(c)}, Window{Limit: 2, Start: &Cursor{"TITLE", "Mug", 7}}, false},
		{"last before", Args{Last: ptr(3), Before: ptr(c)}, Window{Limit: 3, Backward: true, Start: &Cursor{"TITLE", "Mug", 7}}, false},
		{"neither", Args{}, Window{}, true},
		{"both", Args{First: ptr(1), Last: ptr(1)}, Window{}, true},
		{"too many", Args{First: ptr(251)}, Window{}, true},
		{"negative", Args{Last: ptr(-1)}, Window{}, true},
		{"max", Args{First: ptr(250)}, Window{Limit: 250}, false},
		{"garbage cursor", Args{First: ptr(1), After: ptr("!!")}, Window{}, true},
		{"base64 not json", Args{First: ptr(1), After: ptr("aGVsbG8")}, Window{}, true},
		{"other sort key", Args{First: ptr(1), After: ptr(Cursor{Key: "PRICE", ID: 1}.Encode())}, Window{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewWindow(tt.args, "TITLE")
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidArgs) {
					t.Fatalf("err = %v, want ErrInvalidArgs", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestTrim(t *testing.T) {
	rows, info := Trim(Window{Limit: 2}, []int{1, 2, 3})
	if !reflect.DeepEqual(rows, []int{1, 2}) || info != (Info{HasNextPage: true}) {
		t.Errorf("forward: got %v %+v", rows, info)
	}
	start := &Cursor{Key: "ID", ID: 9}
	rows, info = Trim(Window{Limit: 2, Backward: true, Start: start}, []int{8, 7})
	if !reflect.DeepEqual(rows, []int{7, 8}) || info != (Info{HasNextPage: true}) {
		t.Errorf("backward: got %v %+v", rows, info)
	}
}
