"""A minimal distributed PyTorch training step: run it with `ariel run trainer.train --replicas 1`.

Each replica reads what Vertex AI (or Ariel's local rehearsal) sets in its environment:
MASTER_ADDR, MASTER_PORT, WORLD_SIZE and RANK, which `init_method="env://"` uses to find the
others. The same code runs unchanged on Vertex AI with `ariel cloud trainer.train --replicas 1`.
"""

import argparse
import json
import os

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--lr", type=float, default=0.1)
    args = parser.parse_args()

    # NCCL on GPUs, gloo on CPUs; both take the rendezvous from the environment.
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    dist.init_process_group(backend=backend, init_method="env://")
    rank, world = dist.get_rank(), dist.get_world_size()
    task = json.loads(os.environ.get("CLUSTER_SPEC", "{}")).get("task", {})
    print(
        f"rank {rank} of {world}: RANK={os.environ['RANK']} WORLD_SIZE={os.environ['WORLD_SIZE']}"
        f" MASTER_ADDR={os.environ['MASTER_ADDR']} task={task.get('type')}/{task.get('index')}",
        flush=True,
    )

    # Every rank contributes rank + 1: the all-reduced sum is 1 + 2 + ... + world.
    value = torch.tensor([float(rank + 1)])
    dist.all_reduce(value, op=dist.ReduceOp.SUM)
    print(f"rank {rank}: all_reduce sum {value.item():g} (expected {world * (world + 1) / 2:g})", flush=True)

    # Data-parallel training: each rank its own data, gradients averaged across ranks.
    torch.manual_seed(0)
    model = DistributedDataParallel(torch.nn.Linear(4, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    generator = torch.Generator().manual_seed(rank)
    for step in range(args.steps):
        x = torch.randn(32, 4, generator=generator)
        y = x.sum(dim=1, keepdim=True)
        loss = torch.nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if rank == 0:
            print(f"step {step}: loss {loss.item():.4f}", flush=True)

    # The replicas' weights stay equal: their sum over ranks is world times this rank's.
    weights = torch.cat([p.detach().flatten() for p in model.parameters()])
    total = weights.clone()
    dist.all_reduce(total, op=dist.ReduceOp.SUM)
    print(f"rank {rank}: weights in sync {torch.allclose(total, weights * world)}", flush=True)

    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
