"""Scripting failures people reported in public issue trackers, each rebuilt as a small model
with the reporter's nesting (the failing code sits in a submodule, as it did for them), and
beside each the same model with the fix the harness advises applied.

tests/integration/test_diagnosis_corpus.py records each failing model, checks the diagnosis
(kind, module path, the thing to edit) and scripts and calls the fixed one. Names end in
`Fixed` for the fixed twin of a model.
"""
import dataclasses
import sys
import warnings
from typing import Dict, List, NamedTuple, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


def _stem():
    return nn.Linear(4, 4)


# -- 1. pytorch#67674 / #28998: a block iterating self._modules.values() (DenseNet-style) ------
class DenseBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.add_module("layer1", nn.Linear(4, 4))
        self.add_module("layer2", nn.Linear(4, 4))

    def forward(self, x):
        for layer in self._modules.values():
            x = layer(x)
        return x


class DenseBlockFixed(DenseBlock):
    def forward(self, x):
        for layer in self.children():
            x = layer(x)
        return x


class DenseNet(nn.Module):
    block = DenseBlock

    def __init__(self):
        super().__init__()
        self.stem = _stem()
        self.features = nn.Sequential(self.block(), nn.ReLU())

    def forward(self, x):
        return self.features(self.stem(x))


class DenseNetFixed(DenseNet):
    block = DenseBlockFixed


# -- 2. baudm/parseq#145: a @property `_device` using next(self.parameters()) -------------------
class ParseqDecoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.head = nn.Linear(4, 4)

    @property
    def _device(self) -> torch.device:
        return next(self.head.parameters(recurse=False)).device

    def forward(self, x):
        return self.head(x)


class ParseqDecoderFixed(ParseqDecoder):
    __jit_unused_properties__ = ["_device"]


class Parseq(nn.Module):
    decoder_class = ParseqDecoder

    def __init__(self):
        super().__init__()
        self.encoder = _stem()
        self.decoder = self.decoder_class()

    def forward(self, x):
        return self.decoder(self.encoder(x))


class ParseqFixed(Parseq):
    decoder_class = ParseqDecoderFixed


# -- 3. gmberton/CosPlace#11: GeM pooling's free function, defaults without annotations -------
def gem(x, p=3, eps=1e-6):
    return F.avg_pool2d(x.clamp(min=eps).pow(p), (x.size(-2), x.size(-1))).pow(1. / p)


def gem_fixed(x, p: int = 3, eps: float = 1e-6):
    return F.avg_pool2d(x.clamp(min=eps).pow(p), (x.size(-2), x.size(-1))).pow(1. / p)


class GeM(nn.Module):
    def forward(self, x):
        return gem(x)


class GeMFixed(nn.Module):
    def forward(self, x):
        return gem_fixed(x)


class L2Norm(nn.Module):
    # CosPlace#11 too: F.normalize(x, p=2) passes an int where torch declares a float
    def forward(self, x):
        return F.normalize(x, p=2, dim=1)


class L2NormFixed(nn.Module):
    def forward(self, x):
        return F.normalize(x, p=2.0, dim=1)


class GeoLocalizationNet(nn.Module):
    pool, norm = GeM, L2Norm

    def __init__(self):
        super().__init__()
        self.backbone = nn.Conv2d(1, 2, 1)
        self.aggregation = nn.Sequential(nn.Identity(), self.pool(), nn.Flatten(), nn.Identity(),
                                         self.norm())

    def forward(self, x):
        return self.aggregation(self.backbone(x))


class GeoLocalizationNetGeM(GeoLocalizationNet):
    norm = L2NormFixed  # only GeM fails: the corpus checks each fault on its own


class GeoLocalizationNetGeMFixed(GeoLocalizationNet):
    pool, norm = GeMFixed, L2NormFixed


class GeoLocalizationNetNorm(GeoLocalizationNet):
    pool = GeMFixed


# -- 4. pytorch#42885 / #157103: super().forward in a subclass of nn.Linear -------------------
class Bottle(nn.Linear):
    def forward(self, x):
        size = x.size()[:2]
        out = super().forward(x.view(size[0] * size[1], -1))
        return out.view(size[0], size[1], -1)


class BottleFixed(nn.Linear):
    def forward(self, x):
        size = x.size()[:2]
        out = F.linear(x.view(size[0] * size[1], -1), self.weight, self.bias)
        return out.view(size[0], size[1], -1)


class Encoder(nn.Module):
    projection = Bottle

    def __init__(self):
        super().__init__()
        self.proj = self.projection(4, 4)

    def forward(self, x):
        return self.proj(x.unsqueeze(0)).squeeze(0)


class EncoderFixed(Encoder):
    projection = BottleFixed


# -- 5. pytorch#38473: next(self.parameters()) to find the device -----------------------------
class ToDevice(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return self.fc(x.to(next(self.parameters()).device))


class ToDeviceFixed(ToDevice):
    def forward(self, x):
        return self.fc(x.to(self.fc.weight.device))


class Wrapper(nn.Module):
    inner_class = ToDevice

    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(_stem(), self.inner_class())

    def forward(self, x):
        return self.encoder(x)


class WrapperFixed(Wrapper):
    inner_class = ToDeviceFixed


# -- 6. pytorch#28339 / #105918: a ModuleDict indexed by a key given at run time ---------------
class MultiHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.heads = nn.ModuleDict({"wide": nn.Linear(4, 2), "deep": nn.Linear(4, 2)})

    def forward(self, x, choice: str):
        return self.heads[choice](x)


class MultiHeadFixed(MultiHead):
    def forward(self, x, choice: str):
        out = x[:, :2]
        for name, head in self.heads.items():
            if name == choice:
                out = head(x)
        return out


class WideDeep(nn.Module):
    head_class = MultiHead

    def __init__(self):
        super().__init__()
        self.embed = _stem()
        self.tower = self.head_class()

    def forward(self, x, choice: str = "wide"):
        return self.tower(self.embed(x), choice)


class WideDeepFixed(WideDeep):
    head_class = MultiHeadFixed


# -- 7. pytorch#47496: a ModuleList indexed by a loop variable --------------------------------
class Cascade(nn.Module):
    def __init__(self):
        super().__init__()
        self.stages = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])

    def forward(self, x, depth: int):
        for i in range(depth):
            x = self.stages[i](x)
        return x


class CascadeFixed(Cascade):
    def forward(self, x, depth: int):
        for i, stage in enumerate(self.stages):
            if i < depth:
                x = stage(x)
        return x


class Refiner(nn.Module):
    cascade_class = Cascade

    def __init__(self):
        super().__init__()
        self.refine = self.cascade_class()

    def forward(self, x):
        return self.refine(x, 2)


class RefinerFixed(Refiner):
    cascade_class = CascadeFixed


# -- 8. torchvision-style feature extraction: getattr(self, f"layer{i}") ----------------------
class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = nn.Linear(4, 4)
        self.layer2 = nn.Linear(4, 4)

    def forward(self, x):
        for i in range(1, 3):
            x = getattr(self, f"layer{i}")(x)
        return x


class BackboneFixed(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(4, 4), nn.Linear(4, 4)])

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


class Detector(nn.Module):
    backbone_class = Backbone

    def __init__(self):
        super().__init__()
        self.body = self.backbone_class()

    def forward(self, x):
        return self.body(x)


class DetectorFixed(Detector):
    backbone_class = BackboneFixed


# -- 9. pytorch#48191: modules kept in a plain Python tuple/list -------------------------------
class Cells(nn.Module):
    def __init__(self):
        super().__init__()
        self.cells = [nn.Linear(4, 4), nn.Linear(4, 4)]

    def forward(self, x):
        for cell in self.cells:
            x = cell(x)
        return x


class CellsFixed(nn.Module):
    def __init__(self):
        super().__init__()
        self.cells = nn.ModuleList([nn.Linear(4, 4), nn.Linear(4, 4)])

    def forward(self, x):
        for cell in self.cells:
            x = cell(x)
        return x


class RNNStack(nn.Module):
    cells_class = Cells

    def __init__(self):
        super().__init__()
        self.rnn = self.cells_class()

    def forward(self, x):
        return self.rnn(x)


class RNNStackFixed(RNNStack):
    cells_class = CellsFixed


# -- 10. the same list of modules, "typed" with a class-body List[nn.Module] annotation -------
class AnnotatedCells(nn.Module):
    cells: List[nn.Module]

    def __init__(self):
        super().__init__()
        self.cells = [nn.Linear(4, 4), nn.Linear(4, 4)]

    def forward(self, x):
        for cell in self.cells:
            x = cell(x)
        return x


class AnnotatedStack(RNNStack):
    cells_class = AnnotatedCells


# -- 11. torchvision FrozenBatchNorm / detectron2-style: an Optional bias attribute ------------
class ScaleBias(nn.Module):
    bias: Optional[torch.Tensor]

    def __init__(self, with_bias: bool = False):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(4))
        self.bias = torch.zeros(4) if with_bias else None

    def forward(self, x):
        out = x * self.weight
        if self.bias is not None:
            out = out + self.bias
        return out


class ScaleBiasFixed(ScaleBias):
    def forward(self, x):
        out = x * self.weight
        bias = self.bias
        if bias is not None:
            out = out + bias
        return out


class Head(nn.Module):
    norm_class = ScaleBias

    def __init__(self):
        super().__init__()
        self.fc = _stem()
        self.norm = self.norm_class()

    def forward(self, x):
        return self.norm(self.fc(x))


class HeadFixed(Head):
    norm_class = ScaleBiasFixed


# -- 12. transformers-style attention: an Optional mask used without a test -------------------
class MaskedScores(nn.Module):
    def forward(self, scores, mask: Optional[torch.Tensor] = None):
        return scores.masked_fill(mask, -1e4)


class MaskedScoresFixed(nn.Module):
    def forward(self, scores, mask: Optional[torch.Tensor] = None):
        if mask is not None:
            scores = scores.masked_fill(mask, -1e4)
        return scores


class AttentionLayer(nn.Module):
    scores_class = MaskedScores

    def __init__(self):
        super().__init__()
        self.query = _stem()
        self.scores = self.scores_class()

    def forward(self, x):
        return self.scores(self.query(x), x > 0)


class AttentionLayerFixed(AttentionLayer):
    scores_class = MaskedScoresFixed


# -- 13. a free helper with an un-annotated `mask=None` (torch says only "Unsupported value kind")
def attend(q, mask=None):
    if mask is not None:
        q = q.masked_fill(mask, 0.0)
    return q.softmax(-1)


def attend_fixed(q, mask: Optional[torch.Tensor] = None):
    if mask is not None:
        q = q.masked_fill(mask, 0.0)
    return q.softmax(-1)


class SelfAttention(nn.Module):
    def forward(self, x):
        return attend(x)


class SelfAttentionFixed(nn.Module):
    def forward(self, x):
        return attend_fixed(x)


class Block(nn.Module):
    attn_class = SelfAttention

    def __init__(self):
        super().__init__()
        self.attn = self.attn_class()
        self.mlp = _stem()

    def forward(self, x):
        return self.mlp(self.attn(x))


class BlockFixed(Block):
    attn_class = SelfAttentionFixed


class Transformer(nn.Module):
    block_class = Block

    def __init__(self):
        super().__init__()
        self.blocks = nn.Sequential(self.block_class(), self.block_class())

    def forward(self, x):
        return self.blocks(x)


class TransformerFixed(Transformer):
    block_class = BlockFixed


# -- 14. timm / torchvision feature extraction: a lambda forward hook on layer4 ---------------
def keep_output(module: nn.Module, inputs: Tuple[torch.Tensor], output: torch.Tensor):
    pass


class ResNetish(nn.Module):
    def __init__(self, hook=None):
        super().__init__()
        self.layer3 = nn.Linear(4, 4)
        self.layer4 = nn.Linear(4, 4)
        self.layer4.register_forward_hook(hook or (lambda m, i, o: None))

    def forward(self, x):
        return self.layer4(self.layer3(x))


class ResNetishFixed(ResNetish):
    def __init__(self):
        super().__init__(hook=keep_output)


# -- 15. timm create_act: an Optional[Callable] activation attribute ---------------------------
class ConvAct(nn.Module):
    def __init__(self, act=torch.relu):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.act = act

    def forward(self, x):
        x = self.fc(x)
        if self.act is not None:
            x = self.act(x)
        return x


class ConvActFixed(nn.Module):
    def __init__(self, act: Optional[nn.Module] = None):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.act = act if act is not None else nn.Identity()

    def forward(self, x):
        return self.act(self.fc(x))


class Stage(nn.Module):
    def __init__(self, fixed: bool = False):
        super().__init__()
        self.conv = ConvActFixed(nn.ReLU()) if fixed else ConvAct()

    def forward(self, x):
        return self.conv(x)


class StageFixed(Stage):
    def __init__(self):
        super().__init__(fixed=True)


# -- 16. transformers-style config dict kept on the module, values of mixed types -------------
class Pooler(nn.Module):
    def __init__(self):
        super().__init__()
        self.config = {"scale": 0.5, "mode": "mean"}

    def forward(self, x):
        return x.mean(-1) * self.config["scale"]


class PoolerFixed(nn.Module):
    def __init__(self):
        super().__init__()
        config = {"scale": 0.5, "mode": "mean"}
        self.config_scale: float = config["scale"]

    def forward(self, x):
        return x.mean(-1) * self.config_scale


class Classifier(nn.Module):
    pooler_class = Pooler

    def __init__(self):
        super().__init__()
        self.pooler = self.pooler_class()

    def forward(self, x):
        return self.pooler(x)


class ClassifierFixed(Classifier):
    pooler_class = PoolerFixed


# -- 17. a cache dict started empty (torch cannot infer an empty dict's types) ----------------
class Cached(nn.Module):
    def __init__(self):
        super().__init__()
        self.cache = {}

    def forward(self, x):
        self.cache["last"] = x
        return x


class CachedFixed(nn.Module):
    cache: Dict[str, torch.Tensor]

    def __init__(self):
        super().__init__()
        self.cache = {}

    def forward(self, x):
        self.cache["last"] = x
        return x


class Decoder(nn.Module):
    cache_class = Cached

    def __init__(self):
        super().__init__()
        self.step = self.cache_class()

    def forward(self, x):
        return self.step(x)


class DecoderFixed(Decoder):
    cache_class = CachedFixed


# -- 18. a loss-style sum over a generator expression ----------------------------------------
class FeatureSum(nn.Module):
    def forward(self, feats: List[torch.Tensor]):
        return sum(f.sum() for f in feats)


class FeatureSumFixed(nn.Module):
    def forward(self, feats: List[torch.Tensor]):
        total = torch.zeros(())
        for f in feats:
            total = total + f.sum()
        return total


class MultiScale(nn.Module):
    sum_class = FeatureSum

    def __init__(self):
        super().__init__()
        self.reduce = self.sum_class()

    def forward(self, x):
        return self.reduce([x, x * 2])


class MultiScaleFixed(MultiScale):
    sum_class = FeatureSumFixed


# -- 19. transformers ModelOutput: a dataclass returned from forward --------------------------
@dataclasses.dataclass
class HeadOutput:
    logits: torch.Tensor


class HeadOutputFixed(NamedTuple):
    logits: torch.Tensor


class OutputHead(nn.Module):
    def forward(self, x) -> HeadOutput:
        return HeadOutput(x)


class OutputHeadFixed(nn.Module):
    def forward(self, x) -> HeadOutputFixed:
        return HeadOutputFixed(x)


class Model(nn.Module):
    head_class = OutputHead

    def __init__(self):
        super().__init__()
        self.head = self.head_class()

    def forward(self, x):
        return self.head(x).logits


class ModelFixed(Model):
    head_class = OutputHeadFixed


# -- 20. research code: a module class built inside forward ----------------------------------
class LazyAct(nn.Module):
    def forward(self, x):
        return nn.ReLU()(x)


class LazyActFixed(nn.Module):
    def __init__(self):
        super().__init__()
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(x)


class Mlp(nn.Module):
    act_class = LazyAct

    def __init__(self):
        super().__init__()
        self.fc = _stem()
        self.act = self.act_class()

    def forward(self, x):
        return self.act(self.fc(x))


class MlpFixed(Mlp):
    act_class = LazyActFixed


# -- 21. variadic forward (torchvision-style wrappers taking *inputs) --------------------------
class Merge(nn.Module):
    def forward(self, *inputs):
        return inputs[0] + inputs[1]


class MergeFixed(nn.Module):
    def forward(self, a, b):
        return a + b


class Fusion(nn.Module):
    merge_class = Merge

    def __init__(self):
        super().__init__()
        self.merge = self.merge_class()

    def forward(self, x):
        return self.merge(x, x)


class FusionFixed(Fusion):
    merge_class = MergeFixed


# -- 22. tree-structured research models: a recursive helper method ---------------------------
class TreeReduce(nn.Module):
    def reduce(self, x, depth: int) -> torch.Tensor:
        if depth == 0:
            return x
        return self.reduce(x * 0.5, depth - 1)

    def forward(self, x):
        return self.reduce(x, 3)


class TreeReduceFixed(nn.Module):
    def reduce(self, x, depth: int) -> torch.Tensor:
        for _ in range(depth):
            x = x * 0.5
        return x

    def forward(self, x):
        return self.reduce(x, 3)


class TreeNet(nn.Module):
    reduce_class = TreeReduce

    def __init__(self):
        super().__init__()
        self.tree = self.reduce_class()

    def forward(self, x):
        return self.tree(x)


class TreeNetFixed(TreeNet):
    reduce_class = TreeReduceFixed


# -- 23. a forward that silences warnings with a with block -----------------------------------
class Quiet(nn.Module):
    def forward(self, x):
        with warnings.catch_warnings():
            x = x.clamp(min=0)
        return x


class QuietFixed(nn.Module):
    def forward(self, x):
        return x.clamp(min=0)


class Pipeline(nn.Module):
    step_class = Quiet

    def __init__(self):
        super().__init__()
        self.post = self.step_class()

    def forward(self, x):
        return self.post(x)


class PipelineFixed(Pipeline):
    step_class = QuietFixed


# -- 24. debug printing to stderr in forward --------------------------------------------------
class Debug(nn.Module):
    def forward(self, x):
        print(x.shape, file=sys.stderr)
        return x


class DebugFixed(nn.Module):
    def forward(self, x):
        self.report(x)
        return x

    @torch.jit.ignore
    def report(self, x: torch.Tensor) -> None:
        print(x.shape, file=sys.stderr)


class Traced(nn.Module):
    step_class = Debug

    def __init__(self):
        super().__init__()
        self.debug = self.step_class()

    def forward(self, x):
        return self.debug(x)


class TracedFixed(Traced):
    step_class = DebugFixed


# -- 25. a try block around an op that may fail ----------------------------------------------
class SafeNorm(nn.Module):
    def forward(self, x):
        try:
            return x / x.norm()
        except RuntimeError:
            return x


class SafeNormFixed(nn.Module):
    def forward(self, x):
        return x / x.norm()


class Normalizer(nn.Module):
    norm_class = SafeNorm

    def __init__(self):
        super().__init__()
        self.norms = nn.ModuleList([nn.Identity(), self.norm_class()])

    def forward(self, x):
        for norm in self.norms:
            x = norm(x)
        return x


class NormalizerFixed(Normalizer):
    norm_class = SafeNormFixed

