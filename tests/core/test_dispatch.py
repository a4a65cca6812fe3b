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


class Animal: pass
class Dog(Animal): pass
class Robot: pass
class RoboDog(Dog, Robot): pass  # MRO: RoboDog, Dog, Animal, Robot, object


def test_dispatch_types_reads_the_first_positional_parameter():
    import typing
    from fastlayers.core import dispatch_types

    def plain(x, y: int): return x
    def pair(x: (int, float)) -> str: return x
    def union(x: Dog | None): return x
    def typing_union(x: typing.Union[Dog, Robot]): return x
    def keyword_only(*args: int, key: int): return key
    def positional_only(a: Dog, /, b: int): return a
    assert dispatch_types(plain) == (object,)
    assert dispatch_types(pair) == (int, float)
    assert dispatch_types(union) == (Dog, type(None))
    assert dispatch_types(typing_union) == (Dog, Robot)
    assert dispatch_types(keyword_only) == (object,)
    assert dispatch_types(positional_only) == (Dog,)
    assert dispatch_types(lambda: 0) == (object,)


def test_dispatch_types_skips_self_for_methods():
    from fastlayers.core import dispatch_types

    def method(self, x: Dog): return x
    assert dispatch_types(method, skip_self=True) == (Dog,)
    assert dispatch_types(method) == (object,)


def test_closest_follows_the_mro_then_fewer_types_then_the_earlier_entry():
    from fastlayers.core import closest

    def f(name):
        return lambda x: name
    # Animal is two steps up RoboDog's MRO, Robot three: Animal wins though Robot is a direct base
    assert closest(RoboDog, {(Robot,): f("robot"), (Animal,): f("animal")})(0) == "animal"
    assert closest(Dog, {(Dog, Robot): f("tuple"), (Dog,): f("single")})(0) == "single"
    assert closest(Dog, {(Animal, Dog): f("first"), (Dog, Robot): f("second")})(0) == "first"
    assert closest(Dog, {(Animal,): f("near"), (object,): f("far")})(0) == "near"
    assert closest(bool, {(object,): f("any"), (int,): f("int")})(0) == "int"
    assert closest(Robot, {(Dog,): f("dog")}) is None
    assert closest(Robot, {}) is None


def test_type_dispatch_agrees_with_closest():
    from fastlayers.core import closest, dispatch_types

    def animal(x: Animal): return "animal"
    def robot(x: (Robot, int)): return "robot"
    def anything(x): return "anything"
    td = TypeDispatch([animal, robot, anything])
    table = {dispatch_types(f): f for f in (animal, robot, anything)}
    for cls in (RoboDog, Dog, Robot, bool, str):
        assert td.lookup(cls) is closest(cls, table)
