"""Tiny, untrained models built locally, so the studio code paths load real model directories offline."""

from __future__ import annotations

from pathlib import Path


def save_tiny_rtdetr(out: Path) -> Path:
    """An RT-DETR with a ResNet backbone at toy width (labels face, person), saved with its PIL processor."""
    import torch
    from transformers import (
        RTDetrConfig,
        RTDetrForObjectDetection,
        RTDetrImageProcessorPil,
        RTDetrResNetConfig,
    )

    backbone = RTDetrResNetConfig(
        embedding_size=16,
        hidden_sizes=[16, 32, 64, 128],
        depths=[1, 1, 1, 1],
        layer_type="basic",
        out_features=["stage2", "stage3", "stage4"],
    )
    config = RTDetrConfig(
        backbone_config=backbone,
        d_model=32,
        encoder_hidden_dim=32,
        encoder_in_channels=[32, 64, 128],
        decoder_in_channels=[32, 32, 32],
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        decoder_n_points=2,
        num_queries=20,
        num_labels=2,
        id2label={0: "face", 1: "person"},
        label2id={"face": 0, "person": 1},
    )
    torch.manual_seed(0)
    RTDetrForObjectDetection(config).eval().save_pretrained(out)
    RTDetrImageProcessorPil(size={"height": 320, "width": 320}).save_pretrained(out)
    return out
