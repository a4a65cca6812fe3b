"""Type dispatch: most specific type wins, tuples of types, fallbacks, clear errors."""
import pytest
import torch

from fastlayers.core import TensorBase, TensorImage, TensorMask, TypeDispatch, typedispatch


def f_obj(x): return "object"
def f_int(x: int): return "int"
def f_num(x: (int, float)): return "number"
def f_tensor(x: torch.Tensor): return "tensor"
def f_image(x: TensorImage): return "image"


def test_most_specific_type_wins():
    td = TypeDispatch([f_obj, f_tensor, f_image])
    assert td(TensorMask(torch.zeros(1))) == "image"  # TensorMask is a TensorImage
    assert td(TensorBase(torch.zeros(1))) == "tensor"
    assert td(torch.zeros(1)) == "tensor"
    assert td("text") == "object"


def test_tuple_annotation_and_exact_beats_tuple():
    td = TypeDispatch([f_num])
    assert td(1.5) == "number" and td(2) == "number"
    td.add(f_int)
    assert td(2) == "int" and td(1.5) == "number"


def test_bool_uses_int_method_via_mro():
    assert TypeDispatch([f_int, f_obj])(True) == "int"


def test_registration_order_does_not_matter():
    assert TypeDispatch([f_image, f_tensor, f_obj])(TensorImage([1.0])) == "image"
    assert TypeDispatch([f_obj, f_tensor, f_image])(TensorImage([1.0])) == "image"


def test_no_match_error_lists_registered_types():
    td = TypeDispatch([f_int, f_tensor], name="encode")
    with pytest.raises(TypeError) as e:
        td("text")
    msg = str(e.value)
    assert "encode" in msg and "str" in msg and "int" in msg and "Tensor" in msg
    assert td.lookup(str) is None


def test_union_annotation():
    def g(x: int | str): return "either"
    td = TypeDispatch([g])
    assert td(1) == td("a") == "either"
    assert td.lookup(float) is None


def test_typedispatch_two_arguments():
    @typedispatch
    def _describe_pair(x, y): return "any"

    @typedispatch
    def _describe_pair(x: TensorImage, y): return "image"

    @typedispatch
    def _describe_pair(x: TensorImage, y: int): return "image+int"

    img = TensorImage(torch.zeros(1))
    assert _describe_pair(img, "label") == "image"
    assert _describe_pair(img, 3) == "image+int"
    assert _describe_pair(1, 3) == "any"


def test_same_types_replace_previous_function():
    def a(x: int): return "a"
    def b(x: int): return "b"
    assert TypeDispatch([a, b])(1) == "b"


def test_bad_annotation_is_reported():
    def h(x: 3): return x
    with pytest.raises(TypeError, match="annotation"):
        TypeDispatch([h])
