"""A real TRL GRPOTrainer, two steps on CPU, with `RewardFunction` as its reward: a tiny
randomly initialised GPT-2 and a word-level tokenizer built here (nothing downloaded)."""

from __future__ import annotations

from pathlib import Path

import pytest

from visioncode.reward import RewardFunction

from . import programs as p

pytestmark = pytest.mark.slow


def _tokenizer(tmp_path: Path):  # type: ignore[no-untyped-def]
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = ["<pad>", "<eos>", "<unk>", "draw", "a", "cloud", "heart", "<svg", "</svg>",
             'xmlns="http://www.w3.org/2000/svg"', 'viewBox="0', "0", "256", '256">',
             "<circle", 'cx="128"', 'cy="128"', 'r="64"', 'fill="#a8dadc"/>', ">"]
    vocab = {w: i for i, w in enumerate(words)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>",
                                   eos_token="<eos>", unk_token="<unk>")
    fast.padding_side = "left"
    return fast


def test_grpo_trainer_two_steps_with_visioncode_reward(tmp_path: Path,
                                                       reward_fn: RewardFunction) -> None:
    import torch
    from datasets import Dataset
    from transformers import GPT2Config, GPT2LMHeadModel
    from trl import GRPOConfig, GRPOTrainer

    torch.manual_seed(0)
    tokenizer = _tokenizer(tmp_path)
    model = GPT2LMHeadModel(GPT2Config(
        vocab_size=len(tokenizer), n_positions=64, n_embd=16, n_layer=1, n_head=2,
        bos_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id))
    dataset = Dataset.from_list([
        {"prompt": "draw a cloud", "sample_id": "icon-cloud"},
        {"prompt": "draw a heart", "sample_id": "icon-heart"}])
    args = GRPOConfig(
        output_dir=str(tmp_path / "out"), max_steps=2, per_device_train_batch_size=2,
        num_generations=2, max_completion_length=8, learning_rate=1e-3, logging_steps=1,
        report_to=[], use_cpu=True, save_strategy="no", seed=0, bf16=False,
        dataloader_num_workers=0)
    trainer = GRPOTrainer(model=model, processing_class=tokenizer, reward_funcs=[reward_fn],
                          args=args, train_dataset=dataset)
    trainer.train()

    assert trainer.state.global_step == 2
    logs = [entry for entry in trainer.state.log_history
            if "rewards/visioncode_reward/mean" in entry]
    assert len(logs) == 2
    # Random tokens are no SVG: every completion got the failure reward, and the term
    # logging (TRL's log_metric) says so.
    assert all(entry["rewards/visioncode_reward/mean"] == -1.0 for entry in logs)
    assert all(entry["visioncode/failed"] == 1.0 for entry in logs)
    # The same function scores a real SVG highly: the -1.0s above are the failure value.
    assert reward_fn(completions=[p.reference("icon-cloud")], sample_id=["icon-cloud"])[0] > 0.9
