"""Transform and Pipeline: dispatch per tuple element, split_idx, order, setup order, decode in reverse, show."""
import pytest
import torch
from hypothesis import given, settings, strategies as st

from fastlayers.core import ItemTransform, Pipeline, TensorImage, Transform, TransformError


class AddOne(Transform):
    def encodes(self, x: int): return x + 1
    def encodes(self, x: TensorImage): return x + 1
    def decodes(self, x: int): return x - 1


def test_several_encodes_register_and_dispatch():
    t = AddOne()
    assert t(1) == 2
    assert torch.equal(t(TensorImage(torch.zeros(2))), torch.ones(2))
    assert t("a") == "a"  # no method for str: passes through


def test_applies_to_each_tuple_element_not_lists():
    t = AddOne()
    assert t((1, "a", 3)) == (2, "a", 4)
    assert t([1, 2]) == [1, 2]  # a list is one element


def test_result_keeps_input_semantic_type():
    class Scale(Transform):
        def encodes(self, x: torch.Tensor): return x.as_subclass(torch.Tensor) * 2  # returns a plain tensor
    assert type(Scale()(TensorImage(torch.ones(1)))) is TensorImage


def test_return_annotation_casts():
    class ToImage(Transform):
        def encodes(self, x: torch.Tensor) -> TensorImage: return x
    assert type(ToImage()(torch.ones(1))) is TensorImage


def test_split_idx_only_acts_on_matching_split():
    t = AddOne(split_idx=0)
    assert t(1) == 1            # called without a split: does nothing
    assert t(1, split_idx=1) == 1
    assert t(1, split_idx=0) == 2


def test_from_functions_and_decode():
    t = Transform(lambda x: x * 10, lambda x: x // 10)
    assert t(3) == 30 and t.decode(30) == 3 and t((1, 2)) == (10, 20)


def test_inherits_parent_methods_and_overrides():
    class AddTwo(AddOne):
        def encodes(self, x: int): return x + 2
    t = AddTwo()
    assert t(1) == 3
    assert torch.equal(t(TensorImage(torch.zeros(1))), torch.ones(1))
    assert t.decode(3) == 2
    assert AddOne()(1) == 2  # parent untouched


def test_add_method_after_class_creation():
    class Late(Transform):
        pass
    Late.encodes(lambda self, x: x * 3)
    assert Late()(2) == 6


def test_item_transform_sees_whole_tuple():
    class Swap(ItemTransform):
        def encodes(self, x: tuple): return (x[1], x[0])
    assert Swap()((1, 2)) == (2, 1)


def test_pipeline_sorts_by_order_stably():
    class A(Transform):
        order = 2
        def encodes(self, x: str): return x + "a"
    class B(Transform):
        order = 1
        def encodes(self, x: str): return x + "b"
    class C(Transform):
        order = 1
        def encodes(self, x: str): return x + "c"
    assert Pipeline([A(), B(), C()])("") == "bca"
    assert Pipeline([C(), A(), B()])("") == "cba"


def test_pipeline_decode_in_reverse():
    p = Pipeline([Transform(lambda x: x + 1, lambda x: x - 1, order=1), Transform(lambda x: x * 2, lambda x: x / 2, order=2)])
    assert p(3) == 8
    assert p.decode(10) == 4.0  # 10/2 - 1; decoding in the wrong order would give (10 - 1)/2 = 4.5


def test_pipeline_setup_sees_earlier_transforms_output():
    seen = []

    class Record(Transform):
        order = 5
        def setups(self, items): seen.append([self_item for self_item in items])

    class Double(Transform):
        order = 1
        def encodes(self, x: int): return x * 2

    p = Pipeline([Record(), Double()])
    p.setup([1, 2, 3])          # plain items: Record's setups sees them after Double
    assert seen == [[2, 4, 6]]
    assert p(3) == 6


def test_pipeline_setup_does_not_apply_twice_through_tfmdlists():
    from fastlayers.data import TfmdLists
    seen = []

    class Record(Transform):
        order = 5
        def setups(self, items): seen.append(list(items))

    class Double(Transform):
        order = 1
        def encodes(self, x: int): return x * 2

    TfmdLists([1, 2, 3], [Record(), Double()])
    assert seen == [[2, 4, 6]]


def test_pipeline_error_names_transform():
    def explode(x): raise ValueError("boom")
    p = Pipeline([Transform(lambda x: x + 1), explode])
    with pytest.raises(TransformError, match="explode.*boom"):
        p(1)


def test_pipeline_show_decodes_until_showable():
    shown = []

    class Label(str):
        def show(self, ctx=None, **kw):
            shown.append(str(self))
            return ctx

    class ToId(Transform):
        def encodes(self, x: str): return {"cat": 0}[x]
        def decodes(self, x: int): return Label(["cat"][x])

    p = Pipeline([ToId()])
    p.show(p("cat"))
    assert shown == ["cat"]


def test_pipeline_rejects_non_callables():
    with pytest.raises(TypeError, match="neither a Transform nor a function"):
        Pipeline([3])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-1000, 1000), min_size=1, max_size=5))
def test_decode_after_encode_is_identity(xs):
    p = Pipeline([Transform(lambda x: x + 7, lambda x: x - 7, order=1),
                  Transform(lambda x: x * 3, lambda x: x // 3, order=2)])
    t = tuple(xs)
    assert p.decode(p(t)) == t


@settings(max_examples=30, deadline=None)
@given(st.permutations([1, 2, 3, 4]))
def test_pipeline_independent_of_input_order(perm):
    tfms = {o: Transform(lambda x, o=o: x + [o], order=o) for o in perm}
    assert Pipeline([tfms[o] for o in perm])([]) == [1, 2, 3, 4]
