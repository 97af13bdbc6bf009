"""The learning loop: the editor's preference events -> pairs -> a reward model (and a tuned planner).

store.py keeps events and timelines; pairs.py turns them into preference pairs; render.py is the one
text form of a decision both training and scoring read; reward.py trains the reward model (TRL
RewardTrainer) and gives the planner its scorer (`latest_scorer`); policy.py tunes the planner with DPO +
LoRA (`latest_adapter`); versions.py keeps numbered versions with a `current` pointer and rollback;
trainer.py runs training in the background and reports its state; simulate.py is the simulated editor
that proves the loop learns; dataset.py exports everything as a Hugging Face dataset.
"""
