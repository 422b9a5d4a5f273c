import type { CloudCatalog } from '../api';
import { machinesIn } from '../cloudCatalog';

const catalog: CloudCatalog = {
  machineFamilies: [
    {
      family: 'n1',
      machineTypes: ['n1-standard-4', 'n1-standard-8'],
      accelerators: { NVIDIA_TESLA_T4: [1, 2, 4], NVIDIA_TESLA_V100: [1, 2] },
      acceleratorRequired: false
    },
    { family: 'g2', machineTypes: ['g2-standard-4'], accelerators: { NVIDIA_L4: [1] }, acceleratorRequired: true },
    { family: 'e2', machineTypes: ['e2-standard-4'], accelerators: {}, acceleratorRequired: false }
  ],
  regions: {
    'us-central1': ['NVIDIA_TESLA_T4', 'NVIDIA_TESLA_V100', 'NVIDIA_L4'],
    'europe-west4': ['NVIDIA_TESLA_T4'],
    'asia-south1': []
  }
};

describe('machinesIn', () => {
  it('offers every machine type of a region that has all accelerators, each with its own', () => {
    expect(machinesIn(catalog, 'us-central1').map(m => [m.machineType, Object.keys(m.accelerators)])).toEqual([
      ['n1-standard-4', ['NVIDIA_TESLA_T4', 'NVIDIA_TESLA_V100']],
      ['n1-standard-8', ['NVIDIA_TESLA_T4', 'NVIDIA_TESLA_V100']],
      ['g2-standard-4', ['NVIDIA_L4']],
      ['e2-standard-4', []]
    ]);
  });

  it("limits a machine's accelerators to the region's, with the counts the machine takes", () => {
    const n1 = machinesIn(catalog, 'europe-west4').find(m => m.machineType === 'n1-standard-4');
    expect(n1?.accelerators).toEqual({ NVIDIA_TESLA_T4: [1, 2, 4] });
  });

  it('leaves out machines that come with GPUs the region does not have', () => {
    const types = machinesIn(catalog, 'europe-west4').map(m => m.machineType);
    expect(types).not.toContain('g2-standard-4');
    expect(types).toContain('e2-standard-4');
  });

  it('marks machines that must have one of their accelerators chosen', () => {
    const g2 = machinesIn(catalog, 'us-central1').find(m => m.machineType === 'g2-standard-4');
    expect(g2).toMatchObject({ family: 'g2', acceleratorRequired: true });
  });

  it('offers CPU machines only in a region without accelerators, and nothing in an unknown one', () => {
    expect(machinesIn(catalog, 'asia-south1').map(m => m.machineType)).toEqual([
      'n1-standard-4',
      'n1-standard-8',
      'e2-standard-4'
    ]);
    expect(machinesIn(catalog, 'mars-north1').filter(m => m.acceleratorRequired)).toEqual([]);
  });
});
