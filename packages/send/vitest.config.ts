import { camTests } from '../../tools/vitest.base';

export default camTests();
