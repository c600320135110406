"""The classifier network: a base encoder (MiniLM for ``fast``, MPNet for ``accurate``), mean pooling (as the
sentence encoders were trained), a linear head."""

from __future__ import annotations

import torch
from torch import nn
from transformers import BertModel, BertPreTrainedModel, MPNetModel, MPNetPreTrainedModel
from transformers.modeling_outputs import SequenceClassifierOutput

INT8 = "int8"  # a model's ``quantisation`` (and its manifest's) when its linear layers compute in int8
INT8_EMBEDDINGS = "int8+embeddings"  # a manifest's ``quantisation`` when the word and position tables are int8 too
# (a version saved as plain ``INT8`` by an earlier Beacon keeps fp32 tables: it is loaded the way it was checked)


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-6)


class _MeanPoolHead:
    """Shared by both classifiers: ``embed`` (mean-pooled token states) and ``forward`` (logits, optional loss)."""

    base = "fast"

    def _encoder_outputs(self, input_ids, attention_mask, token_type_ids):  # noqa: ANN001, ANN202
        raise NotImplementedError

    def embed(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids=None) -> torch.Tensor:
        out = self._encoder_outputs(input_ids, attention_mask, token_type_ids)
        return mean_pool(out.last_hidden_state, attention_mask)

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        **_: object,
    ):
        pooled = self.embed(input_ids, attention_mask, token_type_ids)
        logits = self.classifier(self.dropout(pooled))
        loss = nn.functional.cross_entropy(logits.float(), labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits)


class MeanPoolClassifier(_MeanPoolHead, BertPreTrainedModel):
    """The ``fast`` classifier (MiniLM, a BERT architecture); a Hugging Face model (save/load/pipeline compatible)."""

    base = "fast"

    def __init__(self, config) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.bert = BertModel(config, add_pooling_layer=False)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def _encoder_outputs(self, input_ids, attention_mask, token_type_ids):  # noqa: ANN001, ANN202
        return self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)


class MPNetMeanPoolClassifier(_MeanPoolHead, MPNetPreTrainedModel):
    """The ``accurate`` classifier (all-mpnet-base-v2). MPNet has no token type ids; they are ignored."""

    base = "accurate"

    def __init__(self, config) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.mpnet = MPNetModel(config, add_pooling_layer=False)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def _encoder_outputs(self, input_ids, attention_mask, token_type_ids):  # noqa: ANN001, ANN202
        return self.mpnet(input_ids=input_ids, attention_mask=attention_mask)


CLASSIFIERS = {"fast": MeanPoolClassifier, "accurate": MPNetMeanPoolClassifier}


def classifier_class(base: str) -> type[MeanPoolClassifier] | type[MPNetMeanPoolClassifier]:
    from core.nlp.base_model import base_encoder

    return CLASSIFIERS[base_encoder(base).key]


def keep_first_layers(model: MeanPoolClassifier | MPNetMeanPoolClassifier, layers: int) -> MeanPoolClassifier | MPNetMeanPoolClassifier:
    """``model`` with only its encoder's first ``layers`` transformer layers (fewer layers score proportionally
    faster; dropping the top layers is the reduction that loses least, Sajjad et al. 2023, "On the effect of dropping
    layers of pre-trained transformer models"). The config records the count, so the saved model loads as it is;
    ``TrainingParams`` checks the count."""
    encoder = (model.bert if isinstance(model, MeanPoolClassifier) else model.mpnet).encoder
    encoder.layer = encoder.layer[:layers]
    model.config.num_hidden_layers = layers
    return model


def base_of(model: torch.nn.Module) -> str:
    """Which base encoder a (possibly peft-wrapped) classifier is built on."""
    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    return getattr(inner, "base", "fast")
